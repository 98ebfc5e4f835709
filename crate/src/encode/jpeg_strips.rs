//! A baseline JPEG coded as horizontal strips that can be encoded at the same time (on native
//! threads, or in two Web Workers) and joined into the very bytes one encoder would write.
//!
//! Every re-encoded JPEG carries a restart marker after each row of MCUs (ITU-T T.81, B.2.4.4:
//! at a restart the DC predictions start again from zero and the entropy coder pads to a whole
//! byte). So a row of MCUs is coded from its own pixels alone, and a strip that starts on a row
//! is the same bytes whether it was coded as part of the photo or as a photo of its own. Strips
//! start every 8 MCU rows (128 pixel rows at 4:2:0), so the marker that joins two strips is
//! always RST7 (the eight markers RST0–RST7 are used in turn). The markers cost about 2–3 bytes
//! per MCU row.

use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};

use super::EncodeError;

/// Restart markers are numbered 0–7 in turn: a strip of 8·k MCU rows ends on RST7's turn.
const ROWS_PER_TURN: u32 = 8;

/// How one photo is coded: its size, quality and chroma sampling, and where strips may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegStrips {
    width: u16,
    height: u16,
    quality: u8,
    chroma: Option<(u8, u8)>,
    sampling: Option<SamplingFactor>,
    /// Pixel rows per MCU row (8 · the vertical sampling factor).
    mcu_rows: u32,
    /// MCUs per row: the restart interval. `None` when the sampling has to be coded one
    /// component at a time (factors of 4), which has no place to cut: one strip.
    interval: Option<u16>,
}

impl JpegStrips {
    /// The coding of a `width × height` photo at `quality` with `chroma_subsampling` (luma
    /// samples per chroma sample across and down; `None`: `jpeg-encoder`'s choice for the
    /// quality). Errors: a quality outside 1–100, or a side over JPEG's 65,535.
    pub fn new(
        width: u32,
        height: u32,
        quality: u8,
        chroma_subsampling: Option<(u8, u8)>,
    ) -> Result<Self, EncodeError> {
        if !(1..=100).contains(&quality) {
            return Err(EncodeError::Quality(quality));
        }
        let too_large = || {
            EncodeError::Failed(format!(
                "a {width} × {height} photo is larger than JPEG allows (65,535 pixels a side); choose PNG output"
            ))
        };
        let width16 = u16::try_from(width).map_err(|_| too_large())?;
        let height16 = u16::try_from(height).map_err(|_| too_large())?;
        let sampling = chroma_subsampling.and_then(|(h, v)| SamplingFactor::from_factors(h, v));
        let mut probe = Vec::new();
        let mut encoder = Encoder::new(&mut probe, quality);
        if let Some(s) = sampling {
            encoder.set_sampling_factor(s);
        }
        // The factors as the frame header writes them: high nibble across, low nibble down.
        let code = encoder.sampling_factor() as u8;
        let (h, v) = (u32::from((code >> 4) & 0x07), u32::from(code & 0x0f));
        let interleaved = h <= 2 && v <= 2;
        let interval = if interleaved {
            u16::try_from(width.div_ceil(8 * h.max(1))).ok()
        } else {
            None
        };
        Ok(JpegStrips {
            width: width16,
            height: height16,
            quality,
            chroma: chroma_subsampling.filter(|_| sampling.is_some()),
            sampling,
            mcu_rows: 8 * v.max(1),
            interval,
        })
    }

    pub fn quality(&self) -> u8 {
        self.quality
    }

    /// The chroma subsampling asked for (luma samples per chroma sample across and down), as
    /// given to [`Self::new`] when `jpeg-encoder` can write it.
    pub fn chroma(&self) -> Option<(u8, u8)> {
        self.chroma
    }

    /// The rows where strips start when the photo is cut into at most `parts` (the first is
    /// 0; each a multiple of 8 MCU rows, the strips as even as that allows).
    pub fn starts(&self, parts: usize) -> Vec<u32> {
        let group = self.mcu_rows * ROWS_PER_TURN;
        let groups = u32::from(self.height).div_ceil(group).max(1) as usize;
        let parts = if self.interval.is_some() { parts.clamp(1, groups) } else { 1 };
        (0..parts)
            .map(|i| (i * groups / parts) as u32 * group)
            .collect()
    }

    /// A complete JPEG of `rows` rows of 8-bit RGB (`rgb`, `width × rows × 3` bytes) that start
    /// at one of [`Self::starts`]: the photo itself when they are all of it.
    pub fn encode_strip(&self, rgb: &[u8], rows: u32) -> Result<Vec<u8>, EncodeError> {
        let rows16 = u16::try_from(rows)
            .ok()
            .filter(|&r| r > 0 && r <= self.height)
            .ok_or_else(|| EncodeError::Failed(format!("a strip of {rows} rows")))?;
        if rgb.len() != usize::from(self.width) * rows as usize * 3 {
            return Err(EncodeError::Failed(format!(
                "a strip of {rows} rows holds {} bytes, not {} × {rows} × 3",
                rgb.len(),
                self.width
            )));
        }
        let mut out = Vec::new();
        let mut encoder = Encoder::new(&mut out, self.quality);
        if let Some(s) = self.sampling {
            encoder.set_sampling_factor(s);
            encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
        }
        if let Some(interval) = self.interval {
            encoder.set_restart_interval(interval);
        }
        encoder
            .encode(rgb, self.width, rows16, ColorType::Rgb)
            .map_err(|e| EncodeError::Failed(e.to_string()))?;
        Ok(out)
    }

    /// The strips' JPEGs, top to bottom (from [`Self::encode_strip`] at every one of the same
    /// [`Self::starts`]), as one JPEG of the whole photo: the first strip's headers with the
    /// photo's height, each strip's entropy-coded data, RST7 between them.
    pub fn join(&self, strips: &[Vec<u8>]) -> Result<Vec<u8>, EncodeError> {
        match strips {
            [] => Err(EncodeError::Failed("no strips to join".into())),
            [one] => Ok(one.clone()),
            [first, ..] => {
                let (head, _) = split_scan(first)?;
                let mut out = Vec::with_capacity(strips.iter().map(Vec::len).sum());
                out.extend_from_slice(head);
                set_frame_height(&mut out, self.height)?;
                for (i, strip) in strips.iter().enumerate() {
                    let (own_head, data) = split_scan(strip)?;
                    // Every strip must be coded alike (tables, sampling, restart interval, width):
                    // its headers are the first's but for the frame's height.
                    let mut own = own_head.to_vec();
                    set_frame_height(&mut own, self.height)?;
                    if own.len() != head.len() || out.get(..own.len()) != Some(own.as_slice()) {
                        return Err(EncodeError::Failed(format!("strip {i} was not coded like the first")));
                    }
                    if i > 0 {
                        out.extend_from_slice(&[0xFF, 0xD7]);
                    }
                    out.extend_from_slice(data);
                }
                out.extend_from_slice(&[0xFF, 0xD9]);
                Ok(out)
            }
        }
    }
}

/// One of our own encoder's JPEGs as (everything up to the end of its scan header, its
/// entropy-coded data without the EOI).
fn split_scan(jpeg: &[u8]) -> Result<(&[u8], &[u8]), EncodeError> {
    let bad = || EncodeError::Failed("a JPEG strip is not laid out as the encoder writes it".into());
    if jpeg.get(..2) != Some(&[0xFF, 0xD8]) || jpeg.len() < 4 || jpeg.get(jpeg.len() - 2..) != Some(&[0xFF, 0xD9]) {
        return Err(bad());
    }
    let mut at = 2;
    loop {
        let (Some(&0xFF), Some(&marker), Some(&hi), Some(&lo)) =
            (jpeg.get(at), jpeg.get(at + 1), jpeg.get(at + 2), jpeg.get(at + 3))
        else {
            return Err(bad());
        };
        let end = at + 2 + usize::from(u16::from_be_bytes([hi, lo]));
        if marker == 0xDA {
            let head = jpeg.get(..end).ok_or_else(bad)?;
            let data = jpeg.get(end..jpeg.len() - 2).ok_or_else(bad)?;
            return Ok((head, data));
        }
        at = end;
    }
}

/// Writes `height` into the baseline frame header (SOF0: marker, length, precision, height).
fn set_frame_height(head: &mut [u8], height: u16) -> Result<(), EncodeError> {
    let mut at = 2;
    while let (Some(&0xFF), Some(&marker), Some(&hi), Some(&lo)) =
        (head.get(at), head.get(at + 1), head.get(at + 2), head.get(at + 3))
    {
        if marker == 0xC0 {
            if let Some(field) = head.get_mut(at + 5..at + 7) {
                field.copy_from_slice(&height.to_be_bytes());
                return Ok(());
            }
        }
        at += 2 + usize::from(u16::from_be_bytes([hi, lo]));
    }
    Err(EncodeError::Failed("a JPEG strip has no baseline frame header".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A photo-like pattern: smooth gradients with fine detail, so every block codes
    /// differently and a wrong join would show.
    fn pattern(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::with_capacity((width * height * 3) as usize);
        for y in 0..height {
            for x in 0..width {
                let v = (x * 7 + y * 3) ^ (x * y / 5);
                out.extend_from_slice(&[(x % 256) as u8, (y % 256) as u8, (v % 256) as u8]);
            }
        }
        out
    }

    fn rows(rgb: &[u8], width: u32, from: u32, to: u32) -> &[u8] {
        &rgb[(from * width * 3) as usize..(to * width * 3) as usize]
    }

    #[test]
    fn strips_joined_are_the_bytes_of_one_encode() {
        for (w, h, chroma) in [
            (300, 700, Some((2, 2))),
            (301, 517, Some((2, 1))),
            (97, 300, Some((1, 2))),
            (200, 333, None),
            (64, 129, Some((1, 1))),
        ] {
            let rgb = pattern(w, h);
            let plan = JpegStrips::new(w, h, 92, chroma).unwrap();
            let whole = plan.encode_strip(&rgb, h).unwrap();
            for parts in [2, 3, 5] {
                let starts = plan.starts(parts);
                assert_eq!(starts[0], 0);
                let mut strips = Vec::new();
                for (i, &top) in starts.iter().enumerate() {
                    let bottom = starts.get(i + 1).copied().unwrap_or(h);
                    strips.push(plan.encode_strip(rows(&rgb, w, top, bottom), bottom - top).unwrap());
                }
                let joined = plan.join(&strips).unwrap();
                assert!(joined == whole, "{w}×{h} {chroma:?} in {} strips", starts.len());
            }
            // The joined photo decodes to the full size.
            let decoded = image::load_from_memory(&whole).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (w, h));
        }
    }

    #[test]
    fn strips_start_on_whole_turns_of_the_restart_markers() {
        let plan = JpegStrips::new(4000, 3000, 92, Some((2, 2))).unwrap();
        assert_eq!(plan.starts(2), vec![0, 1536]);
        assert!(plan.starts(4).iter().all(|s| s % 128 == 0));
        // A photo shorter than one turn is one strip however many are asked for.
        assert_eq!(JpegStrips::new(100, 100, 92, Some((2, 2))).unwrap().starts(4), vec![0]);
        // 4:1:1 is coded one component at a time: no place to cut.
        assert_eq!(JpegStrips::new(4000, 3000, 92, Some((4, 1))).unwrap().starts(2), vec![0]);
    }

    #[test]
    fn bad_strips_are_errors_not_panics() {
        let plan = JpegStrips::new(64, 300, 92, Some((2, 2))).unwrap();
        assert!(plan.encode_strip(&[0; 10], 300).is_err());
        assert!(plan.encode_strip(&[], 0).is_err());
        assert!(plan.join(&[]).is_err());
        assert!(plan.join(&[vec![0xFF, 0xD8], vec![1, 2, 3]]).is_err());
        assert!(plan.join(&[vec![0xFF, 0xD8, 0xFF, 0xDA, 0, 200, 0xFF, 0xD9], vec![]]).is_err());
        // A strip coded at another quality (another helper's settings) is refused.
        let rgb = pattern(64, 300);
        let starts = plan.starts(2);
        assert_eq!(starts, vec![0, 128]);
        let top = plan.encode_strip(rows(&rgb, 64, 0, 128), 128).unwrap();
        let other = JpegStrips::new(64, 300, 80, Some((2, 2))).unwrap();
        let bottom = other.encode_strip(rows(&rgb, 64, 128, 300), 172).unwrap();
        assert!(plan.join(&[top.clone(), bottom]).is_err());
        let bottom = plan.encode_strip(rows(&rgb, 64, 128, 300), 172).unwrap();
        assert!(plan.join(&[top, bottom]).is_ok());
        assert!(JpegStrips::new(70_000, 10, 92, None).is_err());
        assert!(JpegStrips::new(10, 10, 0, None).is_err());
    }
}
