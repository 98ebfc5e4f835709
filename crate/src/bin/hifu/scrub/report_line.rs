//! One line of the `--report` JSON Lines file: the input, where its clean copy went, and the
//! core's report (schema in the README, "Scrub report schema").

use hifu::report::ReportError;
use hifu::{Report, Status};
use serde::Serialize;

#[derive(Serialize)]
pub struct ReportLine {
    pub input: String,
    /// Null when nothing was written (error, or excluded by the face gate).
    pub output: Option<String>,
    #[serde(flatten)]
    pub report: Report,
}

impl ReportLine {
    /// A failure outside the core (reading or writing files), in the core's error shape.
    pub fn io_failure(input: String, code: &str, message: String) -> Self {
        // `Report::failed` gives the shape of a failed photo; the code and message are ours.
        let mut report = Report::failed(&hifu::decode::DecodeError::Empty.into());
        report.error = Some(ReportError {
            code: code.to_string(),
            message,
        });
        ReportLine {
            input,
            output: None,
            report,
        }
    }

    pub fn error(&self) -> Option<&ReportError> {
        self.report
            .error
            .as_ref()
            .filter(|_| self.report.status == Status::Error)
    }
}
