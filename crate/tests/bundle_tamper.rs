//! Every kind of tampering with a sealed bundle is refused, each with its own error code:
//! changed bytes anywhere, dropped, reordered or duplicated chunks, truncation, appended
//! bytes, and the wrong key.
#![cfg(not(target_arch = "wasm32"))]

use hifu::seal::{generate_hub_keypair, open_all, HubPrivateKey, SealError, Sealer};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const CHUNK: usize = 1024;
const HEADER: usize = 19;
const ENC: usize = 32;
const FRAME: usize = 5;
const TAG: usize = 16;

fn hub(seed: u64) -> HubPrivateKey {
    generate_hub_keypair(&mut ChaCha20Rng::seed_from_u64(seed))
}

/// A bundle of 4 chunks (3 full, 1 partial final).
fn bundle(hub: &HubPrivateKey) -> Vec<u8> {
    let mut rng = ChaCha20Rng::seed_from_u64(99);
    let mut sealer = Sealer::new(hub.public_key(), CHUNK as u32, &mut rng).unwrap();
    let data: Vec<u8> = (0..3500u32).map(|i| i as u8).collect();
    sealer.push_entry("images/00001.jpg", &data).unwrap();
    let mut out = sealer.take_output();
    out.extend(sealer.finish().unwrap());
    out
}

/// Byte ranges of each chunk (frame + ciphertext).
fn chunks(bundle: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut pos = HEADER + ENC;
    while pos < bundle.len() {
        let len = u32::from_be_bytes(bundle[pos + 1..pos + 5].try_into().unwrap()) as usize;
        ranges.push(pos..pos + FRAME + len);
        pos += FRAME + len;
    }
    ranges
}

fn error(bundle: &[u8], hub: &HubPrivateKey) -> SealError {
    open_all(bundle, hub).expect_err("a tampered bundle opened")
}

#[test]
fn the_fixture_is_what_the_tests_assume() {
    let hub = hub(1);
    let b = bundle(&hub);
    let ranges = chunks(&b);
    assert_eq!(ranges.len(), 4);
    assert_eq!(ranges[0].len(), FRAME + CHUNK + TAG);
    assert_eq!(b[ranges[3].start], 1, "only the last chunk is flagged last");
    assert!(ranges[..3].iter().all(|r| b[r.start] == 0));
    assert_eq!(open_all(&b, &hub).unwrap().len(), 1);
}

#[test]
fn a_changed_byte_anywhere_is_refused() {
    let hub = hub(1);
    let original = bundle(&hub);
    let ranges = chunks(&original);
    let chunk_of = |pos: usize| ranges.iter().position(|r| r.contains(&pos)).unwrap() as u64;
    for pos in 0..original.len() {
        let mut b = original.clone();
        b[pos] ^= 0x01;
        let err = error(&b, &hub);
        let expected = match pos {
            0..=7 => "seal.not_a_bundle",
            8 => "seal.unsupported_version",
            9..=14 => "seal.bad_header",
            // chunk size: bound into the HPKE info, so chunk 0 fails (or the size is refused)
            15..=18 => {
                assert!(
                    matches!(
                        err.code(),
                        "seal.chunk_rejected" | "seal.bad_header" | "seal.chunk_too_large"
                    ),
                    "pos {pos}: {err:?}"
                );
                continue;
            }
            // enc: a different shared secret, so chunk 0 fails to open
            19..=50 => "seal.chunk_rejected",
            _ => {
                let index = chunk_of(pos);
                let frame_len = pos > ranges[index as usize].start
                    && pos < ranges[index as usize].start + FRAME;
                if frame_len {
                    // A changed length reads past or short of the chunk: some chunk fails,
                    // or the stream ends early; never success.
                    assert!(
                        matches!(
                            err.code(),
                            "seal.chunk_rejected" | "seal.chunk_too_large" | "seal.truncated"
                        ),
                        "pos {pos}: {err:?}"
                    );
                    continue;
                }
                assert_eq!(err, SealError::ChunkRejected { index }, "pos {pos}");
                continue;
            }
        };
        assert_eq!(err.code(), expected, "pos {pos}: {err}");
    }
}

#[test]
fn a_dropped_chunk_is_refused_at_its_index() {
    let hub = hub(1);
    let b = bundle(&hub);
    let ranges = chunks(&b);
    for drop in 0..ranges.len() {
        let mut t = b[..ranges[drop].start].to_vec();
        t.extend_from_slice(&b[ranges[drop].end..]);
        let err = error(&t, &hub);
        if drop == ranges.len() - 1 {
            // Dropping the last chunk is truncation at a chunk boundary.
            assert_eq!(err.code(), "seal.truncated", "{err}");
        } else {
            assert_eq!(err, SealError::ChunkRejected { index: drop as u64 });
        }
    }
}

#[test]
fn reordered_or_duplicated_chunks_are_refused() {
    let hub = hub(1);
    let b = bundle(&hub);
    let r = chunks(&b);
    let mut swapped = b[..r[0].start].to_vec();
    for i in [0, 2, 1, 3] {
        swapped.extend_from_slice(&b[r[i].clone()]);
    }
    assert_eq!(error(&swapped, &hub), SealError::ChunkRejected { index: 1 });
    let mut duplicated = b[..r[2].end].to_vec();
    duplicated.extend_from_slice(&b[r[2].clone()]);
    duplicated.extend_from_slice(&b[r[3].clone()]);
    assert_eq!(
        error(&duplicated, &hub),
        SealError::ChunkRejected { index: 3 }
    );
    // The last chunk moved to the front, with its "last" flag: index 0 was not sealed last.
    let mut last_first = b[..r[0].start].to_vec();
    last_first.extend_from_slice(&b[r[3].clone()]);
    assert_eq!(
        error(&last_first, &hub),
        SealError::ChunkRejected { index: 0 }
    );
}

#[test]
fn flipping_the_last_flag_is_refused() {
    let hub = hub(1);
    let b = bundle(&hub);
    let r = chunks(&b);
    // Claiming chunk 1 is last (to truncate silently) fails: the flag is in its aad.
    let mut cut = b[..r[1].end].to_vec();
    cut[r[1].start] = 1;
    assert_eq!(error(&cut, &hub), SealError::ChunkRejected { index: 1 });
    let mut bad_flag = b.clone();
    bad_flag[r[2].start] = 7;
    assert_eq!(
        error(&bad_flag, &hub),
        SealError::ChunkRejected { index: 2 }
    );
}

#[test]
fn truncation_anywhere_is_refused() {
    let hub = hub(1);
    let b = bundle(&hub);
    for len in 0..b.len() {
        // Cut inside the header, inside a chunk, or cleanly between chunks (no `last` chunk):
        // all are truncation, never a short but "valid" bundle.
        let err = error(&b[..len], &hub);
        assert_eq!(
            err.code(),
            "seal.truncated",
            "truncated to {len} bytes: {err}"
        );
    }
}

#[test]
fn appended_bytes_are_refused() {
    let hub = hub(1);
    let mut b = bundle(&hub);
    b.push(0);
    assert_eq!(error(&b, &hub), SealError::TrailingData(1));
    let mut twice = bundle(&hub);
    twice.extend(bundle(&hub));
    assert_eq!(error(&twice, &hub).code(), "seal.trailing_data");
}

#[test]
fn the_wrong_key_is_refused_at_chunk_zero() {
    let b = bundle(&hub(1));
    assert_eq!(error(&b, &hub(2)), SealError::ChunkRejected { index: 0 });
}

#[test]
fn a_file_that_is_not_a_bundle_says_so() {
    let hub = hub(1);
    assert_eq!(
        error(b"\xFF\xD8\xFF\xE0 a JPEG", &hub).code(),
        "seal.not_a_bundle"
    );
    assert_eq!(error(b"", &hub).code(), "seal.truncated");
}
