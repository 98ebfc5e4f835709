//! Reading the records CSV into validated rows. Every row ends up accepted, rejected (with
//! each problem's row and column) or excluded (opted out); nothing is dropped silently.
//! Opted-out rows are set aside before any of their fields is looked at.

use super::date::{parse_date, Date};
use super::error::{RecordError, RowError};
use super::header::Field;
use super::optout::OptOut;
use super::pseudonym::normalize_id;
use super::text::{decode_text, sniff_delimiter, to_half_width, TextEncoding};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
    Other,
    Unknown,
}

/// A validated row, still holding direct identifiers: it never leaves the site as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// The row in the file (header = row 1).
    pub row: u64,
    pub patient_id: String,
    pub name: Option<String>,
    pub name_kana: Option<String>,
    pub birth_date: Option<Date>,
    /// Age at capture: the age column, else computed from birth and capture dates.
    pub age: Option<u16>,
    pub sex: Option<Sex>,
    pub capture_date: Option<Date>,
    pub diagnosis_first_visit: Option<String>,
    pub final_diagnosis: Option<String>,
    pub race: Option<String>,
    pub lesion_site: Option<String>,
    pub file_name: Option<String>,
}

/// Counts for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub encoding: TextEncoding,
    pub rows: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Rows of opted-out patients (a count, never their IDs).
    pub excluded: u64,
    /// Headers hifu does not know; their contents are not used and never leave the site.
    pub ignored_columns: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Import {
    pub summary: ImportSummary,
    pub records: Vec<RawRecord>,
    pub errors: Vec<RowError>,
    /// File names named by opted-out rows, so that their photos are excluded unopened.
    pub excluded_file_names: Vec<String>,
}

/// Parses the records file. Fails only for whole-file problems; row problems are collected.
pub fn import_records(bytes: &[u8], opt_out: &OptOut) -> Result<Import, RecordError> {
    let (text, encoding) = decode_text(bytes, "records")?;
    // The decoded copy holds names and IDs: wipe it when done.
    let text = zeroize::Zeroizing::new(text);
    let delimiter = sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| RecordError::Csv {
            what: "records",
            detail: e.to_string(),
        })?
        .clone();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(RecordError::Empty { what: "records" });
    }
    let columns = map_columns(&headers)?;
    let ignored_columns = headers
        .iter()
        .zip(&columns)
        .filter(|(h, f)| f.is_none() && !h.trim().is_empty())
        .map(|(h, _)| h.trim().to_owned())
        .collect();

    let mut import = Import {
        summary: ImportSummary {
            encoding,
            rows: 0,
            accepted: 0,
            rejected: 0,
            excluded: 0,
            ignored_columns,
        },
        records: Vec::new(),
        errors: Vec::new(),
        excluded_file_names: Vec::new(),
    };
    for result in reader.records() {
        let record = result.map_err(|e| RecordError::Csv {
            what: "records",
            detail: e.to_string(),
        })?;
        let row = record.position().map_or(0, |p| p.line());
        import.summary.rows += 1;
        let cell = |field: Field| -> Option<(String, String)> {
            let index = columns.iter().position(|c| *c == Some(field))?;
            let value = record.get(index)?.trim();
            let header = headers.get(index).unwrap_or(field.key()).trim().to_owned();
            (!value.is_empty()).then(|| (header, value.to_owned()))
        };
        if let Some((_, id)) = cell(Field::PatientId) {
            if opt_out.contains(&id) {
                import.summary.excluded += 1;
                if let Some((_, file)) = cell(Field::FileName) {
                    import.excluded_file_names.push(base_name(&file));
                }
                continue;
            }
        }
        let mut errors = Vec::new();
        if record.len() != headers.len() {
            errors.push(RowError {
                row,
                column: "(whole row)".into(),
                code: "record.bad_row".into(),
                message: format!(
                    "has {} cells but the header has {}",
                    record.len(),
                    headers.len()
                ),
            });
        }
        let parsed = parse_row(row, &cell, &mut errors);
        // Report a row's problems left to right, as the operator sees the columns.
        errors.sort_by_key(|e| {
            headers
                .iter()
                .position(|h| h.trim() == e.column)
                .unwrap_or(usize::MAX)
        });
        if errors.is_empty() {
            if let Some(parsed) = parsed {
                import.summary.accepted += 1;
                import.records.push(parsed);
                continue;
            }
        }
        import.summary.rejected += 1;
        import.errors.extend(errors);
    }
    Ok(import)
}

type Cell<'a> = dyn Fn(Field) -> Option<(String, String)> + 'a;

fn parse_row<'a>(row: u64, cell: &Cell<'a>, errors: &mut Vec<RowError>) -> Option<RawRecord> {
    let header_of = |field: Field| field.key().to_owned();
    let mut fail = |column: String, code: &str, message: String| {
        errors.push(RowError {
            row,
            column,
            code: code.into(),
            message,
        });
    };
    let patient_id = match cell(Field::PatientId) {
        Some((_, id)) => normalize_id(&id),
        None => {
            fail(
                header_of(Field::PatientId),
                "record.missing_value",
                "the patient ID is empty".into(),
            );
            String::new()
        }
    };
    let mut date = |field: Field| -> Option<Date> {
        let (column, value) = cell(field)?;
        match parse_date(&value) {
            Ok(date) => Some(date),
            Err(reason) => {
                // Birth dates are identifiers: the message names the problem, not the value.
                let reason = if field == Field::BirthDate {
                    "the birth date is not a valid date (write it like 1980-01-31)".to_owned()
                } else {
                    reason
                };
                fail(column, "record.bad_date", reason);
                None
            }
        }
    };
    let birth_date = date(Field::BirthDate);
    let capture_date = date(Field::CaptureDate);
    let age = match cell(Field::Age) {
        Some((column, value)) => match parse_age(&value) {
            Some(age) => Some(age),
            None => {
                fail(
                    column,
                    "record.bad_age",
                    format!("{value:?} is not an age in years (0–150)"),
                );
                None
            }
        },
        None => birth_date
            .zip(capture_date)
            .and_then(|(b, c)| b.years_until(c)),
    };
    let sex = match cell(Field::Sex) {
        Some((column, value)) => match parse_sex(&value) {
            Some(sex) => Some(sex),
            None => {
                fail(
                    column,
                    "record.bad_sex",
                    format!("{value:?} is not a sex hifu knows (M/F/男/女/other/unknown)"),
                );
                None
            }
        },
        None => None,
    };
    let text = |field: Field| cell(field).map(|(_, v)| v);
    (!patient_id.is_empty()).then(|| RawRecord {
        row,
        patient_id,
        name: text(Field::Name),
        name_kana: text(Field::NameKana),
        birth_date,
        age,
        sex,
        capture_date,
        diagnosis_first_visit: text(Field::DiagnosisFirstVisit),
        final_diagnosis: text(Field::FinalDiagnosis),
        race: text(Field::Race),
        lesion_site: text(Field::LesionSite),
        file_name: cell(Field::FileName).map(|(_, v)| base_name(&v)),
    })
}

/// Which field each column is; refuses two columns for one field and a missing ID column.
fn map_columns(headers: &csv::StringRecord) -> Result<Vec<Option<Field>>, RecordError> {
    let columns: Vec<Option<Field>> = headers.iter().map(Field::from_header).collect();
    for (i, field) in columns.iter().enumerate() {
        let Some(field) = field else { continue };
        if let Some(j) = columns.iter().skip(i + 1).position(|c| c == &Some(*field)) {
            return Err(RecordError::DuplicateColumn {
                field: field.key(),
                first: headers.get(i).unwrap_or_default().to_owned(),
                second: headers.get(i + 1 + j).unwrap_or_default().to_owned(),
            });
        }
    }
    if !columns.contains(&Some(Field::PatientId)) {
        return Err(RecordError::MissingPatientIdColumn);
    }
    Ok(columns)
}

/// "45", "45歳", "45 years".
fn parse_age(value: &str) -> Option<u16> {
    let value = to_half_width(value);
    let digits = value
        .trim()
        .trim_end_matches(['歳', '才'])
        .trim_end_matches("years")
        .trim_end_matches("yrs")
        .trim_end_matches('y')
        .trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u16>().ok().filter(|age| *age <= 150)
}

fn parse_sex(value: &str) -> Option<Sex> {
    let value = to_half_width(value).trim().to_lowercase();
    Some(match value.as_str() {
        "m" | "male" | "man" | "男" | "男性" | "1" => Sex::Male,
        "f" | "female" | "woman" | "女" | "女性" | "2" => Sex::Female,
        "o" | "other" | "その他" | "x" => Sex::Other,
        "u" | "unknown" | "不明" | "0" | "9" => Sex::Unknown,
        _ => return None,
    })
}

/// The last path component: records sometimes carry "C:\photos\img1.jpg".
pub(crate) fn base_name(path: &str) -> String {
    path.rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_sexes() {
        assert_eq!(parse_age("45"), Some(45));
        assert_eq!(parse_age("４５歳"), Some(45));
        assert_eq!(parse_age("45 years"), Some(45));
        assert_eq!(parse_age("-3"), None);
        assert_eq!(parse_age("151"), None);
        assert_eq!(parse_age("4o"), None);
        assert_eq!(parse_sex("女性"), Some(Sex::Female));
        assert_eq!(parse_sex("M"), Some(Sex::Male));
        assert_eq!(parse_sex("?"), None);
    }

    #[test]
    fn base_names() {
        assert_eq!(base_name("C:\\photos\\img1.jpg"), "img1.jpg");
        assert_eq!(base_name("a/b/c.png"), "c.png");
    }
}
