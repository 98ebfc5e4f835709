//! Sealing and opening bundles: several entries across many chunks, an empty entry, an empty
//! bundle, and sealed output fed to the opener in odd-sized pieces.
#![cfg(not(target_arch = "wasm32"))]

use hifu::seal::{generate_hub_keypair, open_all, HubPrivateKey, Opener, OpenerLimits, Sealer};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const CHUNK: u32 = 1024;

fn hub() -> HubPrivateKey {
    generate_hub_keypair(&mut ChaCha20Rng::seed_from_u64(1))
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn entries() -> Vec<(String, Vec<u8>)> {
    vec![
        ("images/00001.jpg".into(), pattern(5000, 1)),
        ("images/00002.png".into(), Vec::new()),
        ("images/00003.jpg".into(), pattern(CHUNK as usize, 3)),
        ("manifest.json".into(), b"{\"items\":[]}\n".to_vec()),
    ]
}

fn seal(hub: &HubPrivateKey, entries: &[(String, Vec<u8>)], seed: u64) -> Vec<u8> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut sealer = Sealer::new(hub.public_key(), CHUNK, &mut rng).unwrap();
    let mut out = sealer.take_output();
    for (name, data) in entries {
        // Push in uneven slices, as a file reader would.
        sealer.begin_entry(name, data.len() as u64).unwrap();
        for piece in data.chunks(700) {
            sealer.push_bytes(piece).unwrap();
            out.extend(sealer.take_output());
        }
    }
    out.extend(sealer.finish().unwrap());
    out
}

#[test]
fn entries_survive_a_multi_chunk_round_trip() {
    let hub = hub();
    let bundle = seal(&hub, &entries(), 2);
    assert!(
        bundle.len() > 6 * CHUNK as usize,
        "expected several chunks, got {} bytes",
        bundle.len()
    );
    let opened = open_all(&bundle, &hub).unwrap();
    let got: Vec<(String, Vec<u8>)> = opened
        .iter()
        .map(|e| (e.name.clone(), e.data.to_vec()))
        .collect();
    assert_eq!(got, entries());
}

#[test]
fn opener_accepts_any_split_of_the_input() {
    let hub = hub();
    let bundle = seal(&hub, &entries(), 3);
    for piece in [1usize, 7, 51, 1029, 4096] {
        let mut opener = Opener::new(&hub, OpenerLimits::default());
        let mut names = Vec::new();
        for part in bundle.chunks(piece) {
            opener.push(part).unwrap();
            while let Some(entry) = opener.next_entry() {
                names.push(entry.name);
            }
        }
        opener.finish().unwrap();
        assert_eq!(names.len(), 4, "piece size {piece}");
    }
}

#[test]
fn an_empty_bundle_is_one_final_chunk() {
    let hub = hub();
    let bundle = seal(&hub, &[], 4);
    // header 19 + enc 32 + one frame (5) + tag (16)
    assert_eq!(bundle.len(), 19 + 32 + 5 + 16);
    assert!(open_all(&bundle, &hub).unwrap().is_empty());
}

#[test]
fn exact_multiple_of_the_chunk_size_still_ends_with_a_final_chunk() {
    let hub = hub();
    // Entry framing: 2 + name + 8 bytes; make the stream exactly two chunks long.
    let name = "images/x.bin";
    let data = pattern(2 * CHUNK as usize - (2 + name.len() + 8), 9);
    let bundle = seal(&hub, &[(name.into(), data.clone())], 5);
    let opened = open_all(&bundle, &hub).unwrap();
    assert_eq!(opened[0].data.as_slice(), data.as_slice());
    assert_eq!(bundle.len(), 19 + 32 + 2 * (5 + CHUNK as usize + 16));
}

#[test]
fn the_same_entries_seal_differently_each_time() {
    let hub = hub();
    let a = seal(&hub, &entries(), 10);
    let b = seal(&hub, &entries(), 11);
    assert_ne!(a[19..51], b[19..51], "fresh ephemeral key per bundle");
    assert_eq!(
        open_all(&a, &hub).unwrap().len(),
        open_all(&b, &hub).unwrap().len()
    );
}

#[test]
fn misuse_of_the_sealer_is_an_error_not_a_corrupt_bundle() {
    let hub = hub();
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let mut sealer = Sealer::new(hub.public_key(), CHUNK, &mut rng).unwrap();
    sealer.begin_entry("a.bin", 3).unwrap();
    assert_eq!(
        sealer.push_bytes(b"abcd").unwrap_err().code(),
        "seal.misuse"
    );
    assert_eq!(
        sealer.begin_entry("b.bin", 1).unwrap_err().code(),
        "seal.misuse"
    );
    assert_eq!(
        sealer.push_entry("../evil", b"").unwrap_err().code(),
        "seal.misuse"
    );
    assert_eq!(
        Sealer::new(hub.public_key(), 10, &mut rng)
            .err()
            .unwrap()
            .code(),
        "seal.bad_chunk_size"
    );
    sealer.push_bytes(b"abc").unwrap();
    assert_eq!(
        sealer.begin_entry("../evil", 0).unwrap_err().code(),
        "seal.bad_entry_name"
    );
    sealer.finish().unwrap();
}

#[test]
fn oversized_entries_are_refused_at_the_hub() {
    let hub = hub();
    let bundle = seal(&hub, &[("images/big.bin".into(), pattern(3000, 1))], 7);
    let mut opener = Opener::new(
        &hub,
        OpenerLimits {
            max_entry_bytes: 2999,
        },
    );
    assert_eq!(
        opener.push(&bundle).unwrap_err().code(),
        "seal.entry_too_large"
    );
}
