//! The stable fuzz harness's mutations (`fuzz/mutator.rs`) through the wasm bindings in a real
//! browser (headless Chromium via wasm-bindgen-test), as the pages call them: `scrub`,
//! `inspect` and the records `deidentify`. In wasm a panic is a trap that kills the page, so
//! every input must come back as a result or a thrown `HifuError` with a code.
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p hifu --target wasm32-unknown-unknown --release
//! --no-default-features --test wasm_fuzz` (scripts/test does).
#![cfg(target_arch = "wasm32")]

#[path = "fuzz/mutator.rs"]
mod mutator;

use hifu::wasm::record::{deidentify, generate_site_key};
use hifu::wasm::scrub::{inspect, scrub};
use js_sys::{Reflect, Uint8Array};
use mutator::Mutator;
use std::io::Cursor;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Whether a call's outcome is a result or a typed `HifuError`; `Err` says what else it was.
fn typed(outcome: Result<JsValue, JsValue>) -> Result<(), String> {
    let thrown = match outcome {
        Ok(_) => return Ok(()),
        Err(thrown) => thrown,
    };
    let Ok(error) = thrown.dyn_into::<js_sys::Error>() else {
        return Err("threw something that is not an Error".into());
    };
    let code = Reflect::get(&error, &JsValue::from_str("code"))
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_default();
    if String::from(error.name()) == "HifuError" && code.contains('.') {
        Ok(())
    } else {
        Err(format!(
            "{}: {} (code {code:?})",
            String::from(error.name()),
            String::from(error.message())
        ))
    }
}

fn run(
    target: &str,
    seed: u64,
    seeds: &[Vec<u8>],
    n: usize,
    call: impl Fn(&[u8]) -> Result<JsValue, JsValue>,
) {
    let mut mutator = Mutator::new(seed);
    let mut failures = Vec::new();
    for i in 0..n {
        let input = mutator.mutate(seeds);
        if let Err(problem) = typed(call(&input)) {
            failures.push(format!(
                "{target} mutation {i} ({} bytes): {problem}",
                input.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

fn image_seeds() -> Vec<Vec<u8>> {
    let img = image::RgbaImage::from_fn(20, 12, |x, y| {
        image::Rgba([(x * 12) as u8, (y * 20) as u8, 99, 200])
    });
    let mut png = Vec::new();
    img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    vec![
        include_bytes!("fixtures/decode/progressive.jpg").to_vec(),
        include_bytes!("fixtures/decode/cmyk.jpg").to_vec(),
        include_bytes!("fixtures/decode/lossy.webp").to_vec(),
        include_bytes!("fixtures/decode/animated.webp").to_vec(),
        png,
    ]
}

/// Small limits, as in the native harness: refusing a huge mutated size is what is tested.
const OPTIONS: &str = r#"{"face":{"detect":false},"limits":{"max_width":4096,"max_height":4096,"max_alloc":67108864,"max_input_bytes":16777216}}"#;

#[wasm_bindgen_test]
fn scrub_and_inspect_never_trap_on_mutated_photos() {
    let seeds = image_seeds();
    let options = js_sys::JSON::parse(OPTIONS).unwrap();
    let limits = Reflect::get(&options, &JsValue::from_str("limits")).unwrap();
    run("scrub", 11, &seeds, 1500, |input| {
        scrub(&Uint8Array::from(input), Some(options.clone()))
    });
    run("inspect", 12, &seeds, 1000, |input| {
        inspect(&Uint8Array::from(input), Some(limits.clone()))
    });
}

#[wasm_bindgen_test]
fn the_records_import_never_traps_on_mutated_csv() {
    let key = generate_site_key().unwrap();
    let seeds = vec![
        b"\xEF\xBB\xBFPatient ID,Name,Birth Date,Sex,Capture Date,Final Diagnosis,Lesion Site,File Name\n\
          P-77,Jane Roe,1950-07-08,female,2024-03-05,\"melanoma, Jane's left arm\",left arm,a.jpg\n\
          P-78,John Doe,1990-02-30,male,2024-03-05,nevus,back,b.jpg\n"
            .to_vec(),
        b"patient_id\tage\tsex\tcapture_date\tfinal_diagnosis\tfile_name\nB1\t50\tF\t2024-06-01\tpsoriasis\tx.png\n"
            .to_vec(),
    ];
    run("records", 13, &seeds, 1500, |input| {
        deidentify(
            &Uint8Array::from(input),
            &key,
            vec!["a.jpg".into(), "b.jpg".into(), "x.png".into()],
            None,
        )
    });
}
