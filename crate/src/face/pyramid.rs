//! The levels and tiles YuNet looks at, as a list of independent jobs.
//!
//! [`super::Detector`] shrinks the photo once per scale and cuts each level into tiles; every
//! tile is a [`TileJob`] whose boxes need nothing from any other tile until they are merged.
//! So the jobs can run anywhere: one after another, on native threads, or in other Web Workers
//! that receive only the tile's pixels ([`Pyramid::tile_rgb`]) and send back its boxes
//! ([`Pyramid::to_photo`] maps them). Merging the results in job order gives the same faces
//! whichever way the jobs ran.

use std::ops::Deref;

use image::RgbImage;
use zeroize::Zeroize;

use super::boxes::Face;
use super::input::Window;
use super::resample::resize_rgb;
use super::Photo;

/// One YuNet pass: a window of one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileJob {
    /// Index into the pyramid's levels (finest first).
    pub level: usize,
    /// The tile, in the level's pixels.
    pub window: Window,
    /// Whether the face-part features are pooled from this pass (the coarsest level's only
    /// tile).
    pub pooled: bool,
}

/// What one job found.
#[derive(Debug, Clone, Default)]
pub struct TileFound {
    /// Boxes in the photo's pixel coordinates.
    pub faces: Vec<Face>,
    /// The face-part features, for the pooled job.
    pub features: Option<Vec<f32>>,
}

/// One scale of the photo.
struct Level {
    /// The shrunk (or enlarged) photo; `None` at scale 1, where the photo itself is read.
    image: Option<RgbImage>,
    width: usize,
    height: usize,
    /// The exact per-axis factors from the photo to this level, so boxes map back without drift.
    fx: f32,
    fy: f32,
    /// Whether coarser levels may be shrunk from this one (an upscaled level is never a
    /// source: shrinking it would only blur the photo).
    source: bool,
}

/// The photo at every scale the detector looks at. Its pixels are wiped when it is dropped.
pub struct Pyramid {
    levels: Vec<Level>,
}

impl Pyramid {
    /// Shrinks `photo` to each of `scales` (finest first; each level below full size shrunk
    /// from the previous one rather than from the photo: shrinking a 12-megapixel photo four
    /// times was a third of the time) and lists the tiles of at most `tile` pixels overlapping
    /// by `overlap` ([`tiles`]). With `coarsest_only`, only the coarsest level's job is listed.
    pub fn build<C: Deref<Target = [u8]>>(
        photo: &Photo<C>,
        scales: &[f32],
        tile: usize,
        overlap: usize,
        coarsest_only: bool,
    ) -> (Pyramid, Vec<TileJob>) {
        let (w, h) = (photo.width() as usize, photo.height() as usize);
        let mut levels: Vec<Level> = Vec::with_capacity(scales.len());
        let mut jobs = Vec::new();
        let coarsest = scales.len().saturating_sub(1);
        for (index, &scale) in scales.iter().enumerate() {
            let sw = ((w as f32 * scale).round() as u32).max(1);
            let sh = ((h as f32 * scale).round() as u32).max(1);
            let image = if (sw as usize, sh as usize) == (w, h) {
                None
            } else {
                Some(match levels.iter().rev().find(|l| l.source) {
                    Some(Level { image: Some(p), .. }) if p.width() >= sw && p.height() >= sh => {
                        resize_rgb(p, sw, sh)
                    }
                    _ => resize_rgb(photo, sw, sh),
                })
            };
            let level_tiles = tiles(sw as usize, sh as usize, tile, overlap);
            // The coarsest level is one tile (its long side is below the tile size).
            let pooled = index == coarsest && level_tiles.len() == 1;
            if !coarsest_only || index == coarsest {
                jobs.extend(level_tiles.into_iter().map(|(x, y, width, height)| TileJob {
                    level: index,
                    window: Window {
                        x,
                        y,
                        width,
                        height,
                    },
                    pooled,
                }));
            }
            levels.push(Level {
                image,
                width: sw as usize,
                height: sh as usize,
                fx: sw as f32 / w.max(1) as f32,
                fy: sh as f32 / h.max(1) as f32,
                source: scale < 1.0,
            });
        }
        (Pyramid { levels }, jobs)
    }

    /// The pixels `job` reads: the level's image (or the photo at scale 1) and its size.
    pub fn view<'a, C: Deref<Target = [u8]>>(&'a self, photo: &'a Photo<C>, job: &TileJob) -> Option<(&'a [u8], (usize, usize))> {
        let level = self.levels.get(job.level)?;
        let rgb: &[u8] = match &level.image {
            Some(image) => image.as_raw(),
            None => photo.as_raw(),
        };
        Some((rgb, (level.width, level.height)))
    }

    /// A copy of the tile's RGB pixels (`window.width × window.height`), for a job that runs
    /// elsewhere. The caller wipes it when done.
    pub fn tile_rgb<C: Deref<Target = [u8]>>(&self, photo: &Photo<C>, job: &TileJob) -> Option<Vec<u8>> {
        let (rgb, (width, height)) = self.view(photo, job)?;
        let Window { x, y, width: tw, height: th } = job.window;
        if tw == 0 || th == 0 || x + tw > width || y + th > height || rgb.len() < width * height * 3 {
            return None;
        }
        let mut out = Vec::with_capacity(tw * th * 3);
        for row in y..y + th {
            let start = (row * width + x) * 3;
            out.extend_from_slice(rgb.get(start..start + tw * 3)?);
        }
        Some(out)
    }

    /// Boxes found in `job`'s tile (in the tile's pixels) mapped to the photo's pixels.
    pub fn to_photo(&self, job: &TileJob, faces: Vec<Face>) -> Vec<Face> {
        let Some(level) = self.levels.get(job.level) else {
            return Vec::new();
        };
        let (fx, fy) = (level.fx, level.fy);
        faces
            .into_iter()
            .map(|f| {
                let mut m = f.mapped(job.window.x as f32, job.window.y as f32, 1.0);
                m.bbox = [m.bbox[0] / fx, m.bbox[1] / fy, m.bbox[2] / fx, m.bbox[3] / fy];
                m.landmarks = m.landmarks.map(|[x, y]| [x / fx, y / fy]);
                m
            })
            .collect()
    }
}

impl Drop for Pyramid {
    fn drop(&mut self) {
        // The levels are the patient's photo, shrunk: wipe them.
        for level in &mut self.levels {
            if let Some(image) = level.image.take() {
                image.into_raw().zeroize();
            }
        }
    }
}

/// Tiles (x, y, width, height) covering `width × height`: one when it fits, otherwise the
/// fewest windows of at most `tile` pixels that overlap by at least `overlap`, spread evenly
/// and as small as that allows (in multiples of 32, YuNet's input granularity). Fixed
/// `tile`-sized windows stepping by `tile − overlap` ran YuNet over twice the pixels of a
/// 4-megapixel level, most of it in the last window's overlap with its neighbour.
pub fn tiles(
    width: usize,
    height: usize,
    tile: usize,
    overlap: usize,
) -> Vec<(usize, usize, usize, usize)> {
    let spans = |len: usize| -> Vec<(usize, usize)> {
        if len <= tile {
            return vec![(0, len)];
        }
        let step = tile.saturating_sub(overlap).max(1);
        let n = (len - overlap.min(len)).div_ceil(step).max(2);
        let size = (len + (n - 1) * overlap)
            .div_ceil(n)
            .next_multiple_of(32)
            .min(tile);
        let free = len - size;
        (0..n)
            .map(|i| ((i * free + (n - 1) / 2) / (n - 1), size))
            .collect()
    };
    let (xs, ys) = (spans(width), spans(height));
    let mut out = Vec::with_capacity(xs.len() * ys.len());
    for &(y, th) in &ys {
        for &(x, tw) in &xs {
            out.push((x, y, tw, th));
        }
    }
    out
}
