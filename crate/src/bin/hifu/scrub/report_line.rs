//! One line of the `--report` JSON Lines file (schema in the README).

use hifu::{Report, Status};
use serde::Serialize;

#[derive(Serialize)]
#[serde(untagged)]
pub enum ReportLine {
    /// Scrubbed (status "ok") or excluded; `output` is null when nothing was written.
    Done {
        input: String,
        output: Option<String>,
        #[serde(flatten)]
        report: Report,
    },
    Failed {
        input: String,
        output: Option<String>,
        status: Status,
        code: String,
        message: String,
    },
}

impl ReportLine {
    pub fn failed(input: String, code: &str, message: String) -> Self {
        ReportLine::Failed {
            input,
            output: None,
            status: Status::Error,
            code: code.to_string(),
            message,
        }
    }
}
