//! Decompression and size bombs are refused (or read harmlessly) without allocating what they
//! announce: each case runs under a counting allocator and must stay far below its claim.
//! Pixel bombs (a PNG, TIFF, WebP or JPEG header announcing gigapixels) are in bad_inputs.rs;
//! here: PNG text and ICC chunks that inflate to hundreds of megabytes, an EXIF field that
//! claims gigabytes, TIFF IFD chains that are long or loop, a records file with a huge line or
//! of a huge size, and a sealed bundle whose entry claims a terabyte.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use hifu::record::{import_records, OptOut, MAX_FILE_BYTES, MAX_LINE_BYTES};
use hifu::seal::{generate_hub_keypair, SealError, Sealer};
use hifu::{inspect, scrub_without_faces as scrub, Limits, ScrubOptions};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// Counts live bytes and their peak, for every thread of this test binary.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        System.dealloc(p, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = System.realloc(p, layout, new_size);
        if !q.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let live = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One measurement at a time (the test harness runs tests on several threads).
static SERIAL: Mutex<()> = Mutex::new(());

/// The most memory `f` held at once beyond what was live when it started, in bytes.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    println!("peak {} KB", peak >> 10);
    (out, peak)
}

const MB: usize = 1 << 20;

/// A zlib stream that inflates to `len` zero bytes (about 1/1000 of that on the wire).
fn zlib_zeros(len: usize) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let block = vec![0u8; MB];
    for _ in 0..len / MB {
        z.write_all(&block).unwrap();
    }
    z.finish().unwrap()
}

/// A real 4 × 4 PNG carrying `chunks` before its pixels.
fn png_with(chunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
    common::png_raw(4, 4, 8, 2, chunks, &[[0u8; 13]; 4].concat())
}

#[test]
fn png_text_and_icc_chunks_that_inflate_to_512_mb_are_not_inflated() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let stream = zlib_zeros(512 * MB);
    let mut ztxt = b"Comment\0\0".to_vec();
    ztxt.extend_from_slice(&stream);
    let mut itxt = b"Description\0\x01\0\0\0".to_vec();
    itxt.extend_from_slice(&stream);
    let mut iccp = b"icc\0\0".to_vec();
    iccp.extend_from_slice(&stream);
    for (what, png) in [
        ("zTXt", png_with(&[(b"zTXt", ztxt)])),
        ("compressed iTXt", png_with(&[(b"iTXt", itxt)])),
        ("iCCP", png_with(&[(b"iCCP", iccp)])),
    ] {
        let (scrubbed, peak) = peak_during(|| scrub(&png, &ScrubOptions::default()));
        assert!(
            peak < 40 * MB,
            "{what}: scrub held {} MB at once",
            peak / MB
        );
        match scrubbed {
            // Metadata goes; a valid image comes out without it.
            Ok(out) => assert!(!common::decode(&out.image).as_bytes().is_empty(), "{what}"),
            Err(e) => assert!(e.code().starts_with("container."), "{what}: {}", e.code()),
        }
        let (_, peak) = peak_during(|| inspect(&png, &Limits::default()));
        assert!(peak < 40 * MB, "{what}: inspect held {} MB", peak / MB);
    }
}

/// A little-endian TIFF: one 8 × 8 grey strip, `extra` entries added to each IFD, `ifds` IFDs
/// chained (the last pointing to the first when `looped`).
fn tiff(extra: &[(u16, u16, u32, u32)], ifds: usize, looped: bool) -> Vec<u8> {
    let mut entries: Vec<(u16, u16, u32, u32)> = vec![
        (256, 3, 1, 8),
        (257, 3, 1, 8),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 0), // StripOffsets: set below
        (277, 3, 1, 1),
        (278, 3, 1, 8),
        (279, 4, 1, 64),
    ];
    entries.extend_from_slice(extra);
    entries.sort_by_key(|e| e.0);
    let ifd_len = 2 + 12 * entries.len() + 4;
    let strip = 8 + ifds * ifd_len;
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());
    for i in 0..ifds {
        t.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for &(tag, kind, count, value) in &entries {
            let value = if tag == 273 { strip as u32 } else { value };
            t.extend_from_slice(&tag.to_le_bytes());
            t.extend_from_slice(&kind.to_le_bytes());
            t.extend_from_slice(&count.to_le_bytes());
            t.extend_from_slice(&value.to_le_bytes());
        }
        let next = if i + 1 < ifds {
            8 + (i + 1) * ifd_len
        } else if looped {
            8
        } else {
            0
        };
        t.extend_from_slice(&(next as u32).to_le_bytes());
    }
    t.extend((0..64u8).map(|v| v * 4));
    t
}

#[test]
fn tiff_fields_that_claim_gigabytes_and_ifd_chains_that_loop_or_run_long() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let cases = [
        // ImageDescription (ASCII) and an unknown LONG tag, each claiming 4 GB from offset 8.
        (
            "a field claiming 4 GB",
            tiff(&[(270, 2, u32::MAX, 8), (0xC000, 4, 0x3FFF_FFFF, 8)], 1, false),
        ),
        ("an IFD pointing to itself", tiff(&[], 1, true)),
        ("a loop of 1,000 IFDs", tiff(&[], 1000, true)),
        ("a chain of 100,000 IFDs", tiff(&[], 100_000, false)),
    ];
    for (what, file) in cases {
        let (scrubbed, peak) = peak_during(|| scrub(&file, &ScrubOptions::default()));
        assert!(
            peak < 8 * file.len() + 16 * MB,
            "{what}: scrub held {} MB for a {} KB file",
            peak / MB,
            file.len() >> 10
        );
        if let Err(e) = scrubbed {
            assert!(e.code().contains('.'), "{what}: {}", e.code());
        }
        let (inspected, peak) = peak_during(|| inspect(&file, &Limits::default()));
        assert!(peak < 8 * file.len() + 16 * MB, "{what}: inspect held {} MB", peak / MB);
        if let Err(e) = inspected {
            assert!(e.code().contains('.'), "{what}: {}", e.code());
        }
    }
}

#[test]
fn a_records_file_with_a_huge_line_or_of_a_huge_size_is_refused_before_it_is_copied() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // A free-text cell of 8 MB (an embedded document): refused, naming the line.
    let mut csv = b"patient_id,final_diagnosis\nA1,naevus\nA2,\"".to_vec();
    csv.resize(csv.len() + 8 * MB, b'x');
    csv.extend_from_slice(b"\"\nA3,psoriasis\n");
    let (result, peak) = peak_during(|| import_records(&csv, &OptOut::none()));
    let e = result.unwrap_err();
    assert_eq!(e.code(), "record.line_too_long");
    assert!(e.to_string().contains("Line 3"), "{e}");
    assert!(peak < MB, "held {} KB", peak >> 10);
    assert_eq!(
        OptOut::from_csv(&csv).unwrap_err().code(),
        "record.line_too_long"
    );

    // Over the file limit (what the CLI and the page read at most: one byte past it).
    let row = b"A1,naevus\n";
    let mut big = b"patient_id,final_diagnosis\n".to_vec();
    while big.len() <= MAX_FILE_BYTES {
        big.extend_from_slice(row);
    }
    let (result, peak) = peak_during(|| import_records(&big, &OptOut::none()));
    assert_eq!(result.unwrap_err().code(), "record.too_large");
    assert!(peak < MB, "held {} KB", peak >> 10);

    // Just under the line limit still imports.
    let mut long = b"patient_id,final_diagnosis\nA1,\"".to_vec();
    long.resize(long.len() + MAX_LINE_BYTES - 100, b'y');
    long.extend_from_slice(b"\"\n");
    assert_eq!(
        import_records(&long, &OptOut::none()).unwrap().summary.rows,
        1
    );
}

#[test]
fn a_bundle_entry_claiming_a_terabyte_is_refused_before_its_data() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let hub = generate_hub_keypair(&mut ChaCha20Rng::seed_from_u64(1));
    let mut sealer =
        Sealer::new(hub.public_key(), 4096, &mut ChaCha20Rng::seed_from_u64(2)).unwrap();
    sealer.begin_entry("images/00001.jpg", 1 << 40).unwrap();
    sealer.push_bytes(&[7u8; 20_000]).unwrap();
    let sealed = sealer.take_output();
    let (result, peak) = peak_during(|| {
        let mut opener = hifu::seal::Opener::new(&hub, Default::default());
        opener.push(&sealed)
    });
    assert!(
        matches!(result, Err(SealError::EntryTooLarge(ref name)) if name == "images/00001.jpg"),
        "{result:?}"
    );
    assert!(peak < MB, "held {} KB", peak >> 10);
}
