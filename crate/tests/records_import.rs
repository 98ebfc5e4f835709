//! Importing and de-identifying clinical records: Shift_JIS with Japanese headers, UTF-8 with
//! a BOM and English headers, age bands at the Safe Harbor edge, odd and impossible dates,
//! row errors that name their row and column, and free-text redaction.
#![cfg(not(target_arch = "wasm32"))]

use hifu::record::{deidentify, import_records, OptOut, Policy, Sex, SiteKey, TextEncoding};

fn sjis(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(
        !unmappable,
        "fixture text must be representable in Shift_JIS"
    );
    bytes.into_owned()
}

fn key() -> SiteKey {
    SiteKey::from_bytes(&[42u8; 32]).unwrap()
}

const JAPANESE: &str = "\
患者ID,氏名,フリガナ,生年月日,年齢,性別,撮影日,初診時診断名,最終診断名,人種,病変部位,ファイル名,備考
A001,山田 太郎,ヤマダ タロウ,昭和10年1月2日,89,男,2024/2/29,色素性母斑,悪性黒色腫（山田太郎様 2024/1/10 切除）,日本人,右前腕,IMG_0001.JPG,紹介
A002,佐藤 花子,サトウ ハナコ,1934-05-06,90,女性,令和6年3月5日,基底細胞癌,基底細胞癌,日本人,鼻,IMG_0002.JPG,
A003,鈴木 一郎,スズキ イチロウ,1920/01/01,104,M,20240305,脂漏性角化症,脂漏性角化症 TEL 03-1234-5678,日本人,背部,IMG_0003.JPG,
A004,高橋 次郎,タカハシ ジロウ,1980/01/01,abc,不明,2024-02-30,湿疹,湿疹,日本人,手,IMG_0004.JPG,
,名無し,,,40,F,2024/1/1,,,,,IMG_0005.JPG,
A006,田中 三郎,タナカ サブロウ,1970/2/3,54,男,2024/3/1,乾癬,乾癬,日本人,肘,IMG_0006.JPG,
";

#[test]
fn shift_jis_with_japanese_headers() {
    let import = import_records(&sjis(JAPANESE), &OptOut::from_ids(["A006"])).unwrap();
    let s = &import.summary;
    assert_eq!(s.encoding, TextEncoding::ShiftJis);
    assert_eq!((s.rows, s.accepted, s.rejected, s.excluded), (6, 3, 2, 1));
    assert_eq!(s.ignored_columns, ["備考"]);
    assert_eq!(import.excluded_file_names, ["IMG_0006.JPG"]);

    let ids: Vec<&str> = import
        .records
        .iter()
        .map(|r| r.patient_id.as_str())
        .collect();
    assert_eq!(ids, ["A001", "A002", "A003"]);
    let first = &import.records[0];
    assert_eq!(first.row, 2);
    assert_eq!(first.sex, Some(Sex::Male));
    assert_eq!(first.file_name.as_deref(), Some("IMG_0001.JPG"));

    let policy = Policy::default();
    let out: Vec<_> = import
        .records
        .iter()
        .map(|r| deidentify(r, &policy, &key()))
        .collect();
    let bands: Vec<_> = out.iter().map(|d| d.age_band.as_deref().unwrap()).collect();
    assert_eq!(bands, ["85-89", "90+", "90+"]);
    let periods: Vec<_> = out
        .iter()
        .map(|d| d.capture_period.as_deref().unwrap())
        .collect();
    assert_eq!(periods, ["2024-02", "2024-03", "2024-03"]);
    assert_eq!(
        out[0].final_diagnosis.as_deref(),
        Some("悪性黒色腫（[redacted]様 [redacted] 切除）")
    );
    assert_eq!(
        out[2].final_diagnosis.as_deref(),
        Some("脂漏性角化症 TEL [redacted]")
    );
    assert_eq!(out[0].lesion_site.as_deref(), Some("右前腕"));
    assert_eq!(out[0].pseudonym, key().pseudonym("A001"));
    assert_ne!(out[0].pseudonym, out[1].pseudonym);
    let json = serde_json::to_string(&out).unwrap();
    for identifier in [
        "A001",
        "山田",
        "太郎",
        "ヤマダ",
        "昭和10",
        "1934",
        "1920",
        "佐藤",
        "03-1234",
    ] {
        assert!(
            !json.contains(identifier),
            "{identifier} leaked into {json}"
        );
    }
}

#[test]
fn row_errors_name_the_row_and_the_column_as_written() {
    let import = import_records(&sjis(JAPANESE), &OptOut::none()).unwrap();
    let errors: Vec<(u64, &str, &str)> = import
        .errors
        .iter()
        .map(|e| (e.row, e.column.as_str(), e.code.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            (5, "年齢", "record.bad_age"),
            (5, "撮影日", "record.bad_date"),
            (6, "patient_id", "record.missing_value"),
        ]
    );
    let date_error = import
        .errors
        .iter()
        .find(|e| e.code == "record.bad_date")
        .unwrap();
    assert_eq!(
        date_error.to_string(),
        "row 5, column 撮影日: 2024-02 has no day 30"
    );
    assert_eq!(import.summary.excluded, 0);
    assert_eq!(import.summary.accepted, 4);
}

#[test]
fn utf8_with_bom_and_english_headers() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(
        b"Patient ID,Name,Birth Date,Sex,Capture Date,Final Diagnosis,Lesion Site,File Name\n\
          P-77,Jane Roe,1950-07-08,female,2024-03-05,\"melanoma, Jane's left arm, seen 3/4\",left arm,a.jpg\n\
          P-78,John Doe,1990-02-30,male,2024-03-05,nevus,back,b.jpg\n",
    );
    let import = import_records(&bytes, &OptOut::none()).unwrap();
    assert_eq!(import.summary.encoding, TextEncoding::Utf8Bom);
    assert_eq!((import.summary.accepted, import.summary.rejected), (1, 1));
    // The birth date error names the problem without repeating the identifier.
    let error = &import.errors[0];
    assert_eq!((error.row, error.column.as_str()), (3, "Birth Date"));
    assert!(!error.message.contains("1990"), "{}", error.message);

    let record = &import.records[0];
    assert_eq!(
        record.age,
        Some(73),
        "age computed from birth and capture dates"
    );
    let out = deidentify(record, &Policy::default(), &key());
    assert_eq!(out.age_band.as_deref(), Some("70-74"));
    assert_eq!(
        out.final_diagnosis.as_deref(),
        Some("melanoma, [redacted]'s left arm, seen [redacted]")
    );
}

#[test]
fn a_stricter_policy_is_applied_and_serialised() {
    let csv = "patient_id,age,capture_date,race\nX1,42,2024-03-05,Asian\n";
    let import = import_records(csv.as_bytes(), &OptOut::none()).unwrap();
    let policy: Policy = serde_json::from_str(
        r#"{"age_band_years": 10, "age_top_code": 80, "capture_date": "year", "keep_race": false}"#,
    )
    .unwrap();
    policy.validate().unwrap();
    let out = deidentify(&import.records[0], &policy, &key());
    assert_eq!(out.age_band.as_deref(), Some("40-49"));
    assert_eq!(out.capture_period.as_deref(), Some("2024"));
    assert_eq!(out.race, None);
    assert!(
        serde_json::from_str::<Policy>(r#"{"age_top_cod": 80}"#).is_err(),
        "a misspelt setting must not fall back to the default"
    );
    assert!(serde_json::from_str::<Policy>(r#"{"age_band_years": 0}"#)
        .unwrap()
        .validate()
        .is_err());
}

#[test]
fn whole_file_problems_are_errors_with_codes() {
    let code = |bytes: &[u8]| import_records(bytes, &OptOut::none()).unwrap_err().code();
    assert_eq!(code(b"name,age\nX,4\n"), "record.missing_patient_id_column");
    assert_eq!(
        code("患者ID,patient id\n1,2\n".as_bytes()),
        "record.duplicate_column"
    );
    assert_eq!(code(b"\x82\xA0\xFF\xFF"), "record.unknown_encoding");
    assert_eq!(code(b""), "record.empty");
}

#[test]
fn a_ragged_row_is_rejected_not_guessed() {
    let import = import_records(b"patient_id,age,sex\nA,40\nB,41,F\n", &OptOut::none()).unwrap();
    assert_eq!((import.summary.accepted, import.summary.rejected), (1, 1));
    assert_eq!(
        (import.errors[0].row, import.errors[0].code.as_str()),
        (2, "record.bad_row")
    );
}
