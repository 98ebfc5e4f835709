//! Recognising column headers, liberally: Japanese or English, any case, full- or half-width,
//! with or without spaces, underscores, hyphens or bracketed notes ("氏名（カナ）").

use super::text::to_half_width;
use serde::{Deserialize, Serialize};

/// The columns hifu understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    PatientId,
    Name,
    NameKana,
    BirthDate,
    Age,
    Sex,
    CaptureDate,
    DiagnosisFirstVisit,
    FinalDiagnosis,
    Race,
    LesionSite,
    FileName,
}

impl Field {
    pub const ALL: [Field; 12] = [
        Field::PatientId,
        Field::Name,
        Field::NameKana,
        Field::BirthDate,
        Field::Age,
        Field::Sex,
        Field::CaptureDate,
        Field::DiagnosisFirstVisit,
        Field::FinalDiagnosis,
        Field::Race,
        Field::LesionSite,
        Field::FileName,
    ];

    /// The canonical English header.
    pub fn key(self) -> &'static str {
        match self {
            Field::PatientId => "patient_id",
            Field::Name => "name",
            Field::NameKana => "name_kana",
            Field::BirthDate => "birth_date",
            Field::Age => "age",
            Field::Sex => "sex",
            Field::CaptureDate => "capture_date",
            Field::DiagnosisFirstVisit => "diagnosis_first_visit",
            Field::FinalDiagnosis => "final_diagnosis",
            Field::Race => "race",
            Field::LesionSite => "lesion_site",
            Field::FileName => "file_name",
        }
    }

    /// Normalised spellings (see [`normalize_header`]).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::PatientId => &[
                "patientid",
                "id",
                "pid",
                "mrn",
                "patientno",
                "patientnumber",
                "患者id",
                "患者番号",
                "患者コード",
                "カルテ番号",
                "カルテno",
                "idno",
            ],
            Field::Name => &[
                "name",
                "patientname",
                "fullname",
                "氏名",
                "患者氏名",
                "患者名",
                "名前",
                "漢字氏名",
            ],
            Field::NameKana => &[
                "namekana",
                "kana",
                "furigana",
                "フリガナ",
                "ふりがな",
                "カナ氏名",
                "氏名カナ",
                "患者氏名カナ",
                "カナ",
            ],
            Field::BirthDate => &[
                "birthdate",
                "dateofbirth",
                "dob",
                "birthday",
                "生年月日",
                "誕生日",
            ],
            Field::Age => &["age", "ageyears", "年齢", "年令", "撮影時年齢"],
            Field::Sex => &["sex", "gender", "性別"],
            Field::CaptureDate => &[
                "capturedate",
                "photodate",
                "dateofcapture",
                "imagedate",
                "date",
                "撮影日",
                "撮影日時",
                "撮影年月日",
                "撮影日付",
            ],
            Field::DiagnosisFirstVisit => &[
                "diagnosisfirstvisit",
                "firstvisitdiagnosis",
                "initialdiagnosis",
                "diagnosisatfirstvisit",
                "初診時診断名",
                "初診時診断",
                "初診診断名",
                "初診時病名",
                "初診時臨床診断",
            ],
            Field::FinalDiagnosis => &[
                "finaldiagnosis",
                "diagnosis",
                "最終診断名",
                "最終診断",
                "確定診断名",
                "確定診断",
                "最終病名",
                "診断名",
                "病理診断",
            ],
            Field::Race => &["race", "ethnicity", "人種"],
            Field::LesionSite => &[
                "lesionsite",
                "site",
                "bodysite",
                "location",
                "anatomicsite",
                "病変部位",
                "部位",
                "発生部位",
                "病変部",
            ],
            Field::FileName => &[
                "filename",
                "file",
                "image",
                "imagefile",
                "imagefilename",
                "photo",
                "photofile",
                "ファイル名",
                "画像ファイル名",
                "画像",
                "写真",
                "写真ファイル名",
                "画像名",
            ],
        }
    }

    /// Which field a header names, if any.
    pub fn from_header(header: &str) -> Option<Field> {
        let normalized = normalize_header(header);
        Field::ALL
            .into_iter()
            .find(|f| f.aliases().contains(&normalized.as_str()))
    }
}

/// Half-width, lower case, without BOM, blanks, `_`, `-`, `.`, `・`, brackets and quotes.
fn normalize_header(header: &str) -> String {
    to_half_width(header)
        .chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(
                    c,
                    '\u{FEFF}'
                        | '_'
                        | '-'
                        | '.'
                        | '・'
                        | '('
                        | ')'
                        | '（'
                        | '）'
                        | '['
                        | ']'
                        | '「'
                        | '」'
                        | '"'
                        | '\''
                )
        })
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_english_and_odd_spellings() {
        assert_eq!(Field::from_header("患者ID"), Some(Field::PatientId));
        assert_eq!(Field::from_header("患者ＩＤ"), Some(Field::PatientId));
        assert_eq!(Field::from_header(" Patient ID "), Some(Field::PatientId));
        assert_eq!(Field::from_header("patient-id"), Some(Field::PatientId));
        assert_eq!(Field::from_header("氏名（カナ）"), Some(Field::NameKana));
        assert_eq!(Field::from_header("Birth_Date"), Some(Field::BirthDate));
        assert_eq!(
            Field::from_header("初診時診断名"),
            Some(Field::DiagnosisFirstVisit)
        );
        assert_eq!(Field::from_header("File Name"), Some(Field::FileName));
        assert_eq!(Field::from_header("備考"), None);
    }
}
