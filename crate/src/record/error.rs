//! Errors of record import: whole-file problems ([`RecordError`]) and per-row problems
//! ([`RowError`], collected, never fatal to the batch).

use serde::{Deserialize, Serialize};

/// A problem with a whole file or key; the operator has to fix the input.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    #[error(
        "The {what} file is neither UTF-8 nor Shift_JIS text: save it from Excel as \"CSV UTF-8\""
    )]
    UnknownEncoding { what: &'static str },
    #[error("The {what} file is larger than hifu reads ({max_megabytes} MB): export only the rows and columns of this contribution")]
    TooLarge {
        what: &'static str,
        max_megabytes: usize,
    },
    #[error("Line {line} of the {what} file is longer than {max_kilobytes} KB: a cell holds something that is not part of a record (a pasted document or file?); fix that cell in the spreadsheet")]
    LineTooLong {
        what: &'static str,
        line: usize,
        max_kilobytes: usize,
    },
    #[error("The {what} file is empty: export it again with its header row")]
    Empty { what: &'static str },
    #[error("The records file has no patient ID column (患者ID / patient_id): add one")]
    MissingPatientIdColumn,
    #[error("The records file has two columns that both mean {field} ({first:?} and {second:?}): keep one")]
    DuplicateColumn {
        field: &'static str,
        first: String,
        second: String,
    },
    #[error("The {what} file could not be read as CSV ({detail}): check quoting and separators")]
    Csv { what: &'static str, detail: String },
    #[error("The site key is not a hifu site key ({0}): use the file made by `hifu site keygen`")]
    BadSiteKey(&'static str),
    #[error("The de-identification policy is invalid ({0})")]
    BadPolicy(&'static str),
}

impl RecordError {
    pub fn code(&self) -> &'static str {
        match self {
            RecordError::UnknownEncoding { .. } => "record.unknown_encoding",
            RecordError::TooLarge { .. } => "record.too_large",
            RecordError::LineTooLong { .. } => "record.line_too_long",
            RecordError::Empty { .. } => "record.empty",
            RecordError::MissingPatientIdColumn => "record.missing_patient_id_column",
            RecordError::DuplicateColumn { .. } => "record.duplicate_column",
            RecordError::Csv { .. } => "record.csv",
            RecordError::BadSiteKey(_) => "record.bad_site_key",
            RecordError::BadPolicy(_) => "record.bad_policy",
        }
    }
}

/// One problem in one row. `row` counts lines of the file as a spreadsheet does (the header is
/// row 1); `column` is the header text as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub row: u64,
    pub column: String,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "row {}, column {}: {}",
            self.row, self.column, self.message
        )
    }
}
