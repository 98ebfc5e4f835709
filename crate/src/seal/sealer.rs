//! Streaming sealer: entries go in, sealed bytes come out chunk by chunk, so a bundle of
//! thousands of photos never sits in memory (in plaintext or sealed) as a whole.

use super::entries::entry_header;
use super::format::{self, CHUNK_FRAME_LEN, ENC_LEN, TAG_LEN};
use super::{Aead, HubPublicKey, Kdf, Kem, SealError};
use hpke::aead::AeadCtxS;
use hpke::{OpModeS, Serializable};
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

/// Seals a stream of entries to the hub. Call [`Sealer::take_output`] after each push to move
/// sealed bytes on (to a file, to a Blob), and [`Sealer::finish`] once at the end.
pub struct Sealer {
    ctx: AeadCtxS<Aead, Kdf, Kem>,
    chunk_size: usize,
    /// Plaintext not yet sealed; never more than one chunk. Wiped after each chunk.
    pending: Zeroizing<Vec<u8>>,
    /// Sealed bytes not yet taken by the caller.
    out: Vec<u8>,
    index: u64,
    /// Data bytes the current entry still owes.
    entry_remaining: u64,
}

impl Sealer {
    /// Starts a bundle for `hub` with `chunk_size` plaintext bytes per chunk
    /// ([`format::DEFAULT_CHUNK_SIZE`] is a good choice). The header is the first output.
    pub fn new<R: CryptoRng + RngCore>(
        hub: &HubPublicKey,
        chunk_size: u32,
        rng: &mut R,
    ) -> Result<Self, SealError> {
        format::check_chunk_size(chunk_size)?;
        let header = format::header(chunk_size);
        let (enc, ctx) = hpke::setup_sender::<Aead, Kdf, Kem, R>(
            &OpModeS::Base,
            &hub.0,
            &format::info(&header),
            rng,
        )
        .map_err(|_| SealError::BadKey("the hub public key cannot be used"))?;
        let chunk_size = usize::try_from(chunk_size).map_err(|_| SealError::BadChunkSize(0))?;
        let mut out = Vec::with_capacity(format::HEADER_LEN + ENC_LEN);
        out.extend_from_slice(&header);
        out.extend_from_slice(&enc.to_bytes());
        Ok(Sealer {
            ctx,
            chunk_size,
            pending: Zeroizing::new(Vec::with_capacity(chunk_size)),
            out,
            index: 0,
            entry_remaining: 0,
        })
    }

    /// Announces an entry of exactly `len` bytes; its data follows via [`Sealer::push_bytes`].
    pub fn begin_entry(&mut self, name: &str, len: u64) -> Result<(), SealError> {
        if self.entry_remaining != 0 {
            return Err(SealError::Misuse(
                "a new entry began before the previous one was complete",
            ));
        }
        let header = entry_header(name, len)?;
        self.absorb(&header)?;
        self.entry_remaining = len;
        Ok(())
    }

    /// Adds data to the current entry.
    pub fn push_bytes(&mut self, bytes: &[u8]) -> Result<(), SealError> {
        let len = bytes.len() as u64;
        if len > self.entry_remaining {
            return Err(SealError::Misuse(
                "more bytes pushed than the entry announced",
            ));
        }
        self.absorb(bytes)?;
        self.entry_remaining -= len;
        Ok(())
    }

    /// A whole entry at once.
    pub fn push_entry(&mut self, name: &str, data: &[u8]) -> Result<(), SealError> {
        self.begin_entry(name, data.len() as u64)?;
        self.push_bytes(data)
    }

    /// Sealed bytes produced so far and not yet taken.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Seals the final chunk and returns the remaining output.
    pub fn finish(mut self) -> Result<Vec<u8>, SealError> {
        if self.entry_remaining != 0 {
            return Err(SealError::Misuse(
                "the bundle was finished inside an unfinished entry",
            ));
        }
        self.seal_pending(true)?;
        Ok(std::mem::take(&mut self.out))
    }

    fn absorb(&mut self, mut bytes: &[u8]) -> Result<(), SealError> {
        while !bytes.is_empty() {
            // A full chunk is sealed only once more data arrives: the last chunk must be
            // marked as such, and only `finish` knows which one that is.
            if self.pending.len() >= self.chunk_size {
                self.seal_pending(false)?;
            }
            let room = self.chunk_size.saturating_sub(self.pending.len());
            let (head, tail) = bytes.split_at(room.min(bytes.len()));
            self.pending.extend_from_slice(head);
            bytes = tail;
        }
        Ok(())
    }

    fn seal_pending(&mut self, last: bool) -> Result<(), SealError> {
        let aad = format::chunk_aad(self.index, last);
        let tag = self
            .ctx
            .seal_in_place_detached(self.pending.as_mut_slice(), &aad)
            .map_err(|_| SealError::SealFailed)?;
        let ct_len =
            u32::try_from(self.pending.len() + TAG_LEN).map_err(|_| SealError::SealFailed)?;
        self.out
            .reserve(CHUNK_FRAME_LEN + self.pending.len() + TAG_LEN);
        self.out.push(u8::from(last));
        self.out.extend_from_slice(&ct_len.to_be_bytes());
        self.out.extend_from_slice(&self.pending);
        self.out.extend_from_slice(&tag.to_bytes());
        // The buffer now holds ciphertext; wiping it keeps the habit uniform and cheap.
        self.pending.zeroize();
        self.index = self.index.checked_add(1).ok_or(SealError::SealFailed)?;
        Ok(())
    }
}
