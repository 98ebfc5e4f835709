//! The record and seal bindings in a real browser (headless Chromium via wasm-bindgen-test):
//! plan a contribution with `deidentify`, seal it with the `Sealer` class (Web Crypto
//! randomness), and open the result with the core opener.
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p hifu --target wasm32-unknown-unknown
//! --no-default-features --test wasm_records` (scripts/test does).
#![cfg(target_arch = "wasm32")]

use hifu::record::SiteKey;
use hifu::seal::{generate_hub_keypair, open_all, Manifest};
use hifu::wasm::record::{deidentify, generate_site_key};
use hifu::wasm::seal::JsSealer;
use js_sys::{Reflect, Uint8Array, JSON};
use rand_chacha::rand_core::SeedableRng;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const RECORDS: &str = "\
患者ID,氏名,年齢,撮影日,最終診断名,ファイル名
A001,山田 太郎,45,2024/3/5,悪性黒色腫,a.jpg
A002,佐藤 花子,90,2024/3/5,基底細胞癌 佐藤,b.jpg
A003,鈴木 一郎,30,2024-02-30,湿疹,c.jpg
";

fn get(value: &JsValue, path: &[&str]) -> JsValue {
    path.iter().fold(value.clone(), |v, key| {
        Reflect::get(&v, &JsValue::from_str(key)).unwrap()
    })
}

fn site_key_text() -> String {
    SiteKey::from_bytes(&[5u8; 32])
        .unwrap()
        .to_text()
        .to_string()
}

#[wasm_bindgen_test]
fn a_site_key_is_made_from_browser_randomness() {
    let a = generate_site_key().unwrap();
    let b = generate_site_key().unwrap();
    assert!(a.starts_with("hifu-site-key-v1\n"));
    assert_ne!(a, b);
    SiteKey::from_text(&a).unwrap();
}

#[wasm_bindgen_test]
fn deidentify_plans_the_contribution_and_excludes_opted_out_photos() {
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(RECORDS);
    let options = js_sys::Object::new();
    Reflect::set(
        &options,
        &"optOut".into(),
        &Uint8Array::from(&b"A001\n"[..]),
    )
    .unwrap();
    let photos = vec![
        "a.jpg".to_string(),
        "b.jpg".to_string(),
        "z.jpg".to_string(),
    ];
    let result = deidentify(
        &Uint8Array::from(&*sjis),
        &site_key_text(),
        photos,
        Some(options.into()),
    )
    .unwrap();
    assert_eq!(get(&result, &["summary", "encoding"]), "shift_jis");
    assert_eq!(get(&result, &["summary", "excluded"]), 1);
    assert_eq!(get(&result, &["summary", "rejected"]), 1);
    assert_eq!(get(&result, &["photos_excluded_opt_out"]), 1);
    assert_eq!(get(&result, &["row_errors", "0", "column"]), "撮影日");
    assert_eq!(get(&result, &["links", "0", "photo"]), "b.jpg");
    assert_eq!(get(&result, &["links", "0", "record", "age_band"]), "90+");
    assert_eq!(
        get(&result, &["links", "0", "record", "final_diagnosis"]),
        "基底細胞癌 [redacted]"
    );
    let pseudonym = SiteKey::from_text(&site_key_text())
        .unwrap()
        .pseudonym("A002");
    assert_eq!(
        get(&result, &["links", "0", "record", "pseudonym"]),
        pseudonym.as_str()
    );
    assert_eq!(get(&result, &["unmatched_photos", "0"]), "z.jpg");
    let text = JSON::stringify(&result).unwrap().as_string().unwrap();
    assert!(
        !text.contains("A001") && !text.contains("山田") && !text.contains("a.jpg"),
        "{text}"
    );
}

#[wasm_bindgen_test]
fn sealer_streams_a_bundle_the_hub_opens() {
    let hub = generate_hub_keypair(&mut rand_chacha::ChaCha20Rng::seed_from_u64(3));
    let options = JSON::parse(r#"{"siteCode": "WEB-1", "chunkSize": 1024}"#).unwrap();
    let mut sealer = JsSealer::new(&hub.public_key().to_text(), Some(options)).unwrap();
    let mut bundle = sealer.take_output().unwrap().to_vec();
    let record = JSON::parse(r#"{"pseudonym": "ab12", "age_band": "40-44"}"#).unwrap();
    let report = JSON::parse(
        r#"{"status": "ok", "removed": ["exif", "exif_gps"], "output_kind": "lossless"}"#,
    )
    .unwrap();
    let image: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
    bundle.extend(
        sealer
            .add_item(&Uint8Array::from(&image[..]), "image/jpeg", record, report)
            .unwrap()
            .to_vec(),
    );
    assert_eq!(sealer.items(), 1);
    bundle.extend(sealer.finish().unwrap().to_vec());
    assert!(
        sealer.finish().is_err(),
        "a finished sealer refuses more work"
    );

    let entries = open_all(&bundle, &hub).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].name, "images/00001.jpg");
    assert_eq!(entries[0].data.as_slice(), image.as_slice());
    let manifest = Manifest::from_json(&entries[1].data).unwrap();
    assert_eq!(manifest.site_code, "WEB-1");
    assert_eq!(manifest.items[0].record.pseudonym, "ab12");
    assert_eq!(manifest.items[0].sha256, hifu::seal::sha256_hex(&image));
}

#[wasm_bindgen_test]
fn a_wrong_key_is_a_typed_error() {
    let error = JsSealer::new("hifu-site-key-v1\n00\n", None).err().unwrap();
    assert_eq!(get(&error, &["name"]), "HifuError");
    assert_eq!(get(&error, &["code"]), "seal.wrong_key_kind");
}
