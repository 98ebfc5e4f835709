//! Streaming opener: sealed bytes go in (in pieces of any size), entries come out. Every
//! chunk is authenticated before any of its plaintext is used.

use super::entries::{Entry, EntryParser};
use super::format::{self, CHUNK_FRAME_LEN, ENC_LEN, HEADER_LEN, TAG_LEN};
use super::{Aead, HubPrivateKey, Kdf, Kem, SealError};
use hpke::aead::{AeadCtxR, AeadTag};
use hpke::{Deserializable, OpModeR};
use zeroize::Zeroizing;

/// Bounds on what an opened bundle may make the hub allocate.
#[derive(Debug, Clone, Copy)]
pub struct OpenerLimits {
    /// Largest single entry (an image or the manifest).
    pub max_entry_bytes: u64,
}

impl Default for OpenerLimits {
    fn default() -> Self {
        OpenerLimits {
            max_entry_bytes: 1 << 30,
        }
    }
}

enum Stage {
    Header,
    Chunks {
        ctx: Box<AeadCtxR<Aead, Kdf, Kem>>,
        chunk_size: usize,
    },
    Done,
}

/// Opens a bundle with the hub's private key.
pub struct Opener {
    key: HubPrivateKey,
    stage: Stage,
    /// Sealed bytes received but not yet consumed.
    input: Vec<u8>,
    index: u64,
    parser: EntryParser,
}

impl Opener {
    pub fn new(key: &HubPrivateKey, limits: OpenerLimits) -> Self {
        Opener {
            key: key.clone(),
            stage: Stage::Header,
            input: Vec::new(),
            index: 0,
            parser: EntryParser::new(limits.max_entry_bytes),
        }
    }

    /// Feeds sealed bytes. After an error the opener must be dropped.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), SealError> {
        if matches!(self.stage, Stage::Done) {
            if bytes.is_empty() {
                return Ok(());
            }
            return Err(SealError::TrailingData(bytes.len() as u64));
        }
        self.input.extend_from_slice(bytes);
        let mut pos = 0usize;
        loop {
            let rest = self.input.get(pos..).unwrap_or_default();
            let used = match &mut self.stage {
                Stage::Header => read_header(rest, &self.key)?.map(|(used, stage)| {
                    self.stage = stage;
                    used
                }),
                Stage::Chunks { ctx, chunk_size } => {
                    match open_chunk(rest, ctx, *chunk_size, self.index)? {
                        None => None,
                        Some((used, plaintext, last)) => {
                            self.parser.push(&plaintext)?;
                            self.index = self.index.saturating_add(1);
                            if last {
                                self.stage = Stage::Done;
                            }
                            Some(used)
                        }
                    }
                }
                Stage::Done => {
                    if rest.is_empty() {
                        None
                    } else {
                        return Err(SealError::TrailingData(rest.len() as u64));
                    }
                }
            };
            match used {
                Some(used) => pos = pos.saturating_add(used),
                None => break,
            }
        }
        self.input.drain(..pos.min(self.input.len()));
        Ok(())
    }

    /// The next complete entry, if one is ready.
    pub fn next_entry(&mut self) -> Option<Entry> {
        self.parser.next_entry()
    }

    /// Checks that the bundle was complete: the last chunk arrived, nothing followed it, and
    /// the last entry was whole.
    pub fn finish(&self) -> Result<(), SealError> {
        match self.stage {
            Stage::Header => Err(SealError::Truncated("header")),
            Stage::Chunks { .. } if self.input.is_empty() => {
                Err(SealError::Truncated("the last chunk is missing"))
            }
            Stage::Chunks { .. } => Err(SealError::Truncated("a chunk is cut short")),
            Stage::Done if !self.parser.at_boundary() => {
                Err(SealError::BadContent("the last entry is cut short"))
            }
            Stage::Done => Ok(()),
        }
    }
}

/// Opens a whole bundle held in memory (tests, small bundles).
pub fn open_all(bundle: &[u8], key: &HubPrivateKey) -> Result<Vec<Entry>, SealError> {
    let mut opener = Opener::new(key, OpenerLimits::default());
    opener.push(bundle)?;
    opener.finish()?;
    Ok(std::iter::from_fn(|| opener.next_entry()).collect())
}

type HeaderRead = Option<(usize, Stage)>;

fn read_header(bytes: &[u8], key: &HubPrivateKey) -> Result<HeaderRead, SealError> {
    // Judge the magic and version as soon as they are here, for a clear error on wrong files.
    let magic_len = format::MAGIC.len().min(bytes.len());
    if bytes.get(..magic_len) != format::MAGIC.get(..magic_len) {
        return Err(SealError::NotABundle);
    }
    if let Some(&version) = bytes.get(8) {
        if version != format::VERSION {
            return Err(SealError::UnsupportedVersion(version));
        }
    }
    let (Some(header), Some(enc)) = (
        bytes.get(..HEADER_LEN),
        bytes.get(HEADER_LEN..HEADER_LEN + ENC_LEN),
    ) else {
        return Ok(None);
    };
    let header: [u8; HEADER_LEN] = header
        .try_into()
        .map_err(|_| SealError::Truncated("header"))?;
    if header.get(9..15) != format::header(0).get(9..15) {
        return Err(SealError::BadHeader("unknown cipher suite"));
    }
    let chunk_size = u32::from_be_bytes(
        header
            .get(15..19)
            .and_then(|b| b.try_into().ok())
            .ok_or(SealError::Truncated("header"))?,
    );
    format::check_chunk_size(chunk_size).map_err(|_| SealError::BadHeader("bad chunk size"))?;
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc)
        .map_err(|_| SealError::BadHeader("bad encapsulated key"))?;
    // A failed decapsulation means a damaged key, which surfaces as chunk 0 failing to open.
    let ctx = hpke::setup_receiver::<Aead, Kdf, Kem>(
        &OpModeR::Base,
        &key.secret,
        &enc,
        &format::info(&header),
    )
    .map_err(|_| SealError::ChunkRejected { index: 0 })?;
    let chunk_size = usize::try_from(chunk_size).map_err(|_| SealError::BadHeader("chunk size"))?;
    Ok(Some((
        HEADER_LEN + ENC_LEN,
        Stage::Chunks {
            ctx: Box::new(ctx),
            chunk_size,
        },
    )))
}

type ChunkRead = Option<(usize, Zeroizing<Vec<u8>>, bool)>;

fn open_chunk(
    bytes: &[u8],
    ctx: &mut AeadCtxR<Aead, Kdf, Kem>,
    chunk_size: usize,
    index: u64,
) -> Result<ChunkRead, SealError> {
    let Some(frame) = bytes.get(..CHUNK_FRAME_LEN) else {
        return Ok(None);
    };
    let last = match frame.first() {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(SealError::ChunkRejected { index }),
    };
    let ct_len = frame
        .get(1..5)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
        .ok_or(SealError::Truncated("chunk frame"))?;
    let ct_len = usize::try_from(ct_len).unwrap_or(usize::MAX);
    if ct_len > chunk_size.saturating_add(TAG_LEN) {
        return Err(SealError::ChunkTooLarge {
            index,
            len: ct_len as u64,
        });
    }
    if ct_len < TAG_LEN {
        return Err(SealError::ChunkRejected { index });
    }
    let end = CHUNK_FRAME_LEN.saturating_add(ct_len);
    let Some(ct) = bytes.get(CHUNK_FRAME_LEN..end) else {
        return Ok(None);
    };
    let (body, tag) = ct.split_at(ct_len - TAG_LEN);
    let tag = AeadTag::<Aead>::from_bytes(tag).map_err(|_| SealError::ChunkRejected { index })?;
    let mut plaintext = Zeroizing::new(body.to_vec());
    ctx.open_in_place_detached(
        plaintext.as_mut_slice(),
        &format::chunk_aad(index, last),
        &tag,
    )
    .map_err(|_| SealError::ChunkRejected { index })?;
    Ok(Some((end, plaintext, last)))
}
