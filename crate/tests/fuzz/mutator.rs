//! A seeded, structure-blind mutator for the stable fuzz harness (`tests/fuzz_inputs.rs`).
//!
//! Why not cargo-fuzz: it needs a nightly toolchain and libFuzzer, which these machines do not
//! have. This mutator applies the mutations libFuzzer's default set is made of (bit flips,
//! interesting values in 1-, 2- and 4-byte fields of either byte order, deletions, duplicated
//! and inserted ranges, truncation, cross-over with another seed), stacked 1 to 4 deep, from a
//! ChaCha stream: the same seed gives the same inputs on every machine, so a failure found in
//! CI is found again locally.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

const INTERESTING_8: [u8; 8] = [0, 1, 0x7f, 0x80, 0xfe, 0xff, b'\n', b'"'];
const INTERESTING_32: [u32; 9] = [
    0,
    1,
    0xff,
    0x100,
    0x7fff,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
];
/// Bytes that mean something to the text parsers: separators, quotes, line ends, a BOM, a
/// Shift_JIS lead byte, an invalid UTF-8 byte, NUL.
const TEXT_TOKENS: [&[u8]; 10] = [
    b",",
    b"\t",
    b"\"",
    b"\r\n",
    b"\n",
    b"\xef\xbb\xbf",
    b"\x82\xa0",
    b"\xff",
    b"\0",
    "\u{5e74}".as_bytes(),
];

pub struct Mutator {
    rng: ChaCha20Rng,
}

impl Mutator {
    pub fn new(seed: u64) -> Self {
        Mutator {
            rng: ChaCha20Rng::seed_from_u64(seed),
        }
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.rng.next_u64() % n as u64) as usize
        }
    }

    /// A mutated copy of one of `seeds` (the others serve for cross-over).
    pub fn mutate(&mut self, seeds: &[Vec<u8>]) -> Vec<u8> {
        let mut data = seeds[self.below(seeds.len())].clone();
        for _ in 0..1 + self.below(4) {
            self.once(&mut data, seeds);
        }
        data
    }

    fn once(&mut self, data: &mut Vec<u8>, seeds: &[Vec<u8>]) {
        let len = data.len();
        let at = self.below(len);
        match self.below(10) {
            0 if len > 0 => data[at] ^= 1 << self.below(8),
            1 if len > 0 => data[at] = INTERESTING_8[self.below(INTERESTING_8.len())],
            2 | 3 if len >= 4 => {
                let value = INTERESTING_32[self.below(INTERESTING_32.len())];
                let at = self.below(len - 3);
                let bytes = match self.below(4) {
                    0 => value.to_be_bytes(),
                    1 => value.to_le_bytes(),
                    2 => {
                        let v = (value as u16).to_be_bytes();
                        [v[0], v[1], data[at + 2], data[at + 3]]
                    }
                    _ => {
                        let v = (value as u16).to_le_bytes();
                        [v[0], v[1], data[at + 2], data[at + 3]]
                    }
                };
                data[at..at + 4].copy_from_slice(&bytes);
            }
            4 if len > 0 => {
                let end = (at + 1 + self.below(64)).min(len);
                data.drain(at..end);
            }
            5 if len > 0 => {
                let end = (at + 1 + self.below(256)).min(len);
                let copy = data[at..end].to_vec();
                let to = self.below(len + 1);
                data.splice(to..to, copy);
            }
            6 => {
                let n = 1 + self.below(32);
                let bytes: Vec<u8> = (0..n).map(|_| self.rng.next_u32() as u8).collect();
                let to = self.below(len + 1);
                data.splice(to..to, bytes);
            }
            7 if len > 0 => data.truncate(at),
            8 => {
                let other = &seeds[self.below(seeds.len())];
                if !other.is_empty() {
                    let from = self.below(other.len());
                    let end = (from + 1 + self.below(512)).min(other.len());
                    let to = self.below(len + 1);
                    data.splice(to..to, other[from..end].iter().copied());
                }
            }
            _ => {
                let token = TEXT_TOKENS[self.below(TEXT_TOKENS.len())];
                let to = self.below(len + 1);
                data.splice(to..to, token.iter().copied());
            }
        }
    }
}
