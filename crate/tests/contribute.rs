//! The site pipeline end to end, through the real `hifu` binary: keygen, contribute with an
//! opt-out register, bundle open/verify at the hub. An opted-out patient whose photo sits in
//! the folder must never appear in anything the hub opens; nor may any patient's ID, name or
//! birth date. Identical inputs give identical manifests.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{asymmetric, jpeg, Meta};
use hifu::record::SiteKey;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hifu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hifu"))
        .args(args)
        .output()
        .unwrap()
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// EXIF (big-endian TIFF) with Orientation = 1 and an Artist tag: the name must not survive.
fn exif_with_artist(artist: &str) -> Vec<u8> {
    let text = [artist.as_bytes(), b"\0"].concat();
    let mut t = b"MM\0\x2A".to_vec();
    t.extend(8u32.to_be_bytes());
    t.extend(2u16.to_be_bytes());
    t.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 1, 0, 0]); // Orientation SHORT 1
    t.extend([0x01, 0x3B, 0, 2]); // Artist ASCII
    t.extend((text.len() as u32).to_be_bytes());
    t.extend((8u32 + 2 + 2 * 12 + 4).to_be_bytes());
    t.extend(0u32.to_be_bytes());
    t.extend(text);
    t
}

fn photo(artist: &str) -> Vec<u8> {
    jpeg(
        &asymmetric(96, 64),
        90,
        Meta {
            exif: Some(exif_with_artist(artist)),
            icc: None,
        },
    )
}

fn sjis(text: &str) -> Vec<u8> {
    encoding_rs::SHIFT_JIS.encode(text).0.into_owned()
}

/// Identifiers in the fixture, as text; every encoding of each is searched for.
const IDENTIFIERS: [&str; 12] = [
    "A001",
    "A002",
    "A003",
    "A004",
    "山田",
    "太郎",
    "ヤマダ",
    "佐藤",
    "花子",
    "1950/07/08",
    "1950-07-08",
    "1961/2/3",
];

struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn new() -> Site {
        let site = Site {
            dir: tempfile::tempdir().unwrap(),
        };
        let photos = site.path("photos");
        std::fs::create_dir(&photos).unwrap();
        // A001 has opted out: one photo linked by the file-name column, one named after the ID.
        std::fs::write(photos.join("IMG_0001.JPG"), photo("Yamada Taro A001")).unwrap();
        std::fs::write(photos.join("A001_20240305_2.jpg"), photo("A001")).unwrap();
        std::fs::write(photos.join("IMG_0002.JPG"), photo("Sato Hanako")).unwrap();
        // A003 links by the naming convention (no file name in its row).
        std::fs::write(photos.join("A003_20240410_1.jpg"), photo("A003")).unwrap();
        std::fs::write(photos.join("stray.jpg"), photo("nobody")).unwrap();
        let records = "\
患者ID,氏名,フリガナ,生年月日,年齢,性別,撮影日,初診時診断名,最終診断名,病変部位,ファイル名
A001,山田 太郎,ヤマダ タロウ,1950/07/08,73,男,2024/3/5,色素性母斑,悪性黒色腫 山田太郎 A001,右頬,IMG_0001.JPG
A002,佐藤 花子,サトウ ハナコ,1961/2/3,90,女,2024/03/05,基底細胞癌,基底細胞癌（2024/3/1 佐藤花子 切除）,鼻,IMG_0002.JPG
A003,鈴木 一郎,スズキ イチロウ,1933-01-01,104,M,2024-04-10,脂漏性角化症,脂漏性角化症,背部,
A004,高橋 次郎,タカハシ ジロウ,1980/01/01,40,不明,2024-02-30,湿疹,湿疹,手,IMG_0004.JPG
";
        std::fs::write(site.path("records.csv"), sjis(records)).unwrap();
        std::fs::write(site.path("optout.csv"), "患者ID\nA001\n").unwrap();
        assert_eq!(
            code(&hifu(&["hub", "keygen", "--out", p(&site.path("hub"))])),
            0
        );
        assert_eq!(
            code(&hifu(&[
                "site",
                "keygen",
                "--out",
                p(&site.path("site.key"))
            ])),
            0
        );
        site
    }

    fn contribute(&self, out: &str, report: &str) -> Output {
        hifu(&[
            "contribute",
            "--records",
            p(&self.path("records.csv")),
            "--photos",
            p(&self.path("photos")),
            "--opt-out",
            p(&self.path("optout.csv")),
            "--site-key",
            p(&self.path("site.key")),
            "--hub-key",
            p(&self.path("hub/hub.pub")),
            "--out",
            p(&self.path(out)),
            "--report",
            p(&self.path(report)),
            "--site-code",
            "TEST-DERM",
        ])
    }

    fn open(&self, bundle: &str, out: &str) -> Output {
        hifu(&[
            "bundle",
            "open",
            p(&self.path(bundle)),
            "--key",
            p(&self.path("hub/hub.key")),
            "--out",
            p(&self.path(out)),
        ])
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn opted_out_patients_and_identifiers_never_reach_the_hub() {
    let site = Site::new();
    let run = site.contribute("batch.hifu", "report.json");
    // A004's row is rejected (2024-02-30), so the run reports partial failure.
    assert_eq!(code(&run), 1, "{}", String::from_utf8_lossy(&run.stderr));
    let report: Value =
        serde_json::from_slice(&std::fs::read(site.path("report.json")).unwrap()).unwrap();
    assert_eq!(report["records"]["encoding"], "shift_jis");
    assert_eq!(report["records"]["accepted"], 2);
    assert_eq!(report["records"]["rejected"], 1);
    assert_eq!(report["records"]["excluded"], 1);
    assert_eq!(report["photos_found"], 5);
    assert_eq!(report["photos_excluded_opt_out"], 2);
    assert_eq!(report["photos_contributed"], 2);
    assert_eq!(report["unmatched_photos"], serde_json::json!(["stray.jpg"]));
    assert_eq!(report["row_errors"][0]["row"], 5);
    assert_eq!(report["row_errors"][0]["column"], "撮影日");
    let report_text = std::fs::read_to_string(site.path("report.json")).unwrap();
    assert!(
        !report_text.contains("A001") && !report_text.contains("IMG_0001"),
        "the report names an opted-out patient"
    );

    let open = site.open("batch.hifu", "opened");
    assert_eq!(code(&open), 0, "{}", String::from_utf8_lossy(&open.stderr));
    let opened = site.path("opened");
    let files = files_under(&opened);
    let names: Vec<String> = files
        .iter()
        .map(|f| {
            f.strip_prefix(&opened)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        names,
        ["images/00001.jpg", "images/00002.jpg", "manifest.json"]
    );

    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        for id in IDENTIFIERS {
            for encoded in [id.as_bytes().to_vec(), sjis(id)] {
                assert!(
                    !contains(&bytes, &encoded),
                    "{id:?} found in {}",
                    file.display()
                );
            }
        }
        for needle in ["Yamada", "Taro", "Sato", "Hanako", "IMG_000", "stray"] {
            assert!(
                !contains(&bytes, needle.as_bytes()),
                "{needle:?} found in {}",
                file.display()
            );
        }
    }

    let manifest: Value =
        serde_json::from_slice(&std::fs::read(opened.join("manifest.json")).unwrap()).unwrap();
    let site_key =
        SiteKey::from_text(&std::fs::read_to_string(site.path("site.key")).unwrap()).unwrap();
    let items = manifest["items"].as_array().unwrap();
    assert_eq!(manifest["site_code"], "TEST-DERM");
    assert_eq!(manifest["policy"]["age_top_code"], 90);
    // Photos are contributed in file-name order: A003_… sorts before IMG_0002.JPG.
    assert_eq!(items[0]["record"]["pseudonym"], site_key.pseudonym("A003"));
    assert_eq!(items[0]["record"]["age_band"], "90+");
    assert_eq!(items[1]["record"]["pseudonym"], site_key.pseudonym("A002"));
    assert_eq!(items[1]["record"]["age_band"], "90+");
    assert_eq!(items[1]["record"]["capture_period"], "2024-03");
    assert_eq!(
        items[1]["record"]["final_diagnosis"],
        "基底細胞癌（[redacted] [redacted] 切除）"
    );
    assert!(
        items[1]["scrub"]["removed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "exif"),
        "{manifest}"
    );
    for item in items {
        let image = std::fs::read(opened.join(item["image"].as_str().unwrap())).unwrap();
        assert_eq!(item["sha256"], hifu::seal::sha256_hex(&image));
        assert!(image.starts_with(&[0xFF, 0xD8]));
    }

    let verify = hifu(&[
        "bundle",
        "verify",
        p(&site.path("batch.hifu")),
        "--key",
        p(&site.path("hub/hub.key")),
    ]);
    assert_eq!(
        code(&verify),
        0,
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

#[test]
fn identical_inputs_give_identical_manifests_but_fresh_ciphertexts() {
    let site = Site::new();
    site.contribute("a.hifu", "a.json");
    site.contribute("b.hifu", "b.json");
    assert_ne!(
        std::fs::read(site.path("a.hifu")).unwrap(),
        std::fs::read(site.path("b.hifu")).unwrap()
    );
    assert_eq!(code(&site.open("a.hifu", "a")), 0);
    assert_eq!(code(&site.open("b.hifu", "b")), 0);
    for name in ["manifest.json", "images/00001.jpg", "images/00002.jpg"] {
        assert_eq!(
            std::fs::read(site.path("a").join(name)).unwrap(),
            std::fs::read(site.path("b").join(name)).unwrap(),
            "{name} differs between two runs"
        );
    }
}

#[test]
fn keys_are_owner_only_and_never_overwritten() {
    let site = Site::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for key in ["hub/hub.key", "site.key"] {
            let mode = std::fs::metadata(site.path(key))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "{key}");
        }
    }
    let before = std::fs::read(site.path("hub/hub.key")).unwrap();
    assert_eq!(
        code(&hifu(&["hub", "keygen", "--out", p(&site.path("hub"))])),
        2
    );
    assert_eq!(
        code(&hifu(&[
            "site",
            "keygen",
            "--out",
            p(&site.path("site.key"))
        ])),
        2
    );
    assert_eq!(std::fs::read(site.path("hub/hub.key")).unwrap(), before);
    assert!(String::from_utf8(before)
        .unwrap()
        .starts_with("hifu-hub-private-key-v1\n"));
}

#[test]
fn the_hub_refuses_damaged_bundles_and_wrong_keys() {
    let site = Site::new();
    site.contribute("batch.hifu", "report.json");
    let mut bytes = std::fs::read(site.path("batch.hifu")).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(site.path("damaged.hifu"), &bytes).unwrap();
    let verify = hifu(&[
        "bundle",
        "verify",
        p(&site.path("damaged.hifu")),
        "--key",
        p(&site.path("hub/hub.key")),
    ]);
    assert_eq!(code(&verify), 1);
    assert!(String::from_utf8_lossy(&verify.stderr).contains("seal.chunk_rejected"));
    let open = site.open("damaged.hifu", "damaged");
    assert_eq!(code(&open), 1);
    assert!(
        !site.path("damaged").exists() && !site.path("damaged.partial").exists(),
        "nothing half-opened is left"
    );
    // The public key is not an opening key: a usage error, exit 2.
    let wrong = hifu(&[
        "bundle",
        "verify",
        p(&site.path("batch.hifu")),
        "--key",
        p(&site.path("hub/hub.pub")),
    ]);
    assert_eq!(code(&wrong), 2);
    // Refuses to overwrite an existing bundle.
    assert_eq!(code(&site.contribute("batch.hifu", "again.json")), 2);
}
