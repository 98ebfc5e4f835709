//! From the detector's probability map to text boxes, as DBNet's post-processing does:
//! threshold the map, take each connected blob, keep it when its mean probability is high
//! enough, and grow its box back out (the network is trained to mark a text line shrunk by
//! `area · (1 − r²) / perimeter`; the "unclip" distance `area · ratio / perimeter` undoes it).
//! hifu keeps axis-aligned boxes: a box only has to cover the text it hides.

/// Post-processing settings (defaults: DBNet's usual pixel and box thresholds, 0.3 and 0.6,
/// and RapidOCR's unclip ratio; which boxes are text is decided afterwards by [`super::lines`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RegionParams {
    /// A map pixel at or above this is text.
    pub pixel_threshold: f32,
    /// A blob whose mean probability is below this is dropped.
    pub box_threshold: f32,
    /// How far a blob's box grows, as `area · unclip / perimeter` per side.
    pub unclip: f32,
    /// Blobs whose box is thinner than this (map pixels) are dropped.
    pub min_side: usize,
}

impl Default for RegionParams {
    fn default() -> Self {
        RegionParams {
            pixel_threshold: 0.3,
            box_threshold: 0.6,
            unclip: 1.6,
            min_side: 3,
        }
    }
}

/// A text box in map pixels: `[x0, y0, x1, y1]` (exclusive ends) and its mean probability.
#[derive(Debug, Clone, PartialEq)]
pub struct TextBox {
    pub bbox: [f32; 4],
    pub score: f32,
    /// The blob's own box before growing, `[x0, y0, x1, y1]` in map pixels.
    pub core: [usize; 4],
    /// Share of the blob's own box that the blob fills (a text line's blob is close to a
    /// rectangle; a lesion's is not).
    pub fill: f32,
}

/// The text boxes of a `width × height` probability map (row-major).
pub fn text_boxes(map: &[f32], width: usize, height: usize, params: &RegionParams) -> Vec<TextBox> {
    if width == 0 || height == 0 || map.len() != width * height {
        return Vec::new();
    }
    // `seen` starts true for every pixel below the threshold (NaN included).
    let mut seen: Vec<bool> = map.iter().map(|&p| p.is_nan() || p < params.pixel_threshold).collect();
    let mut boxes = Vec::new();
    let mut stack = Vec::new();
    for start in 0..map.len() {
        match seen.get_mut(start) {
            Some(s) if !*s => *s = true,
            _ => continue,
        }
        stack.push(start);
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        let (mut sum, mut count) = (0f64, 0usize);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % width, i / width);
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x + 1);
            y1 = y1.max(y + 1);
            sum += f64::from(map.get(i).copied().unwrap_or(0.0));
            count += 1;
            // 8-connected neighbours.
            for ny in y.saturating_sub(1)..(y + 2).min(height) {
                for nx in x.saturating_sub(1)..(x + 2).min(width) {
                    let j = ny * width + nx;
                    if let Some(s) = seen.get_mut(j) {
                        if !*s {
                            *s = true;
                            stack.push(j);
                        }
                    }
                }
            }
        }
        let (bw, bh) = ((x1 - x0) as f32, (y1 - y0) as f32);
        let score = (sum / count as f64) as f32;
        if (x1 - x0).min(y1 - y0) < params.min_side || score < params.box_threshold {
            continue;
        }
        let grow = bw * bh * params.unclip / (2.0 * (bw + bh));
        boxes.push(TextBox {
            bbox: [
                (x0 as f32 - grow).max(0.0),
                (y0 as f32 - grow).max(0.0),
                (x1 as f32 + grow).min(width as f32),
                (y1 as f32 + grow).min(height as f32),
            ],
            score,
            core: [x0, y0, x1, y1],
            fill: count as f32 / (bw * bh),
        });
    }
    boxes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_confident_blob_becomes_one_grown_box_and_a_faint_or_thin_one_does_not() {
        let (w, h) = (40, 20);
        let mut map = vec![0.0f32; w * h];
        // A 10 × 4 line of text at (5, 5).
        for y in 5..9 {
            for x in 5..15 {
                map[y * w + x] = 0.9;
            }
        }
        // A faint blob and a one-pixel-thin streak.
        for y in 12..16 {
            for x in 20..30 {
                map[y * w + x] = 0.4;
            }
        }
        for x in 2..38 {
            map[18 * w + x] = 0.95;
        }
        let boxes = text_boxes(&map, w, h, &RegionParams::default());
        assert_eq!(boxes.len(), 1, "{boxes:?}");
        let b = &boxes[0];
        // grow = 10·4·1.6 / 28 ≈ 2.29 on every side.
        let grow = 40.0 * 1.6 / 28.0;
        let expect = [5.0 - grow, 5.0 - grow, 15.0 + grow, 9.0 + grow];
        for (got, want) in b.bbox.iter().zip(expect) {
            assert!((got - want).abs() < 1e-4, "{b:?}");
        }
        assert!((b.score - 0.9).abs() < 1e-6);
    }

    #[test]
    fn diagonal_neighbours_join_and_boxes_stay_in_the_map() {
        let (w, h) = (6, 6);
        let mut map = vec![0.0f32; w * h];
        for i in 0..6 {
            map[i * w + i] = 1.0;
            if i + 1 < 6 {
                map[i * w + i + 1] = 1.0;
            }
        }
        let boxes = text_boxes(&map, w, h, &RegionParams::default());
        assert_eq!(boxes.len(), 1);
        assert_eq!(boxes[0].bbox, [0.0, 0.0, 6.0, 6.0]);
        assert!(text_boxes(&map, 5, 6, &RegionParams::default()).is_empty());
        assert!(text_boxes(&[f32::NAN; 4], 2, 2, &RegionParams::default()).is_empty());
    }
}
