//! Which of the detector's blobs are lines of text. PP-OCRv4's detector also marks dark,
//! textured lesions (a naevus, a crust, a plaque edge) as text, and filling those would destroy
//! the very thing the photo is for. A printed line differs in shape: its blob is a long thin
//! bar that nearly fills its box, whose height is a small share of the photo, and the detector
//! is sure of it. Short pieces on the same line as such a bar (a "2" after "2005") are text too.
//! A thin line's blob is a few map pixels thick, and the half-in, half-out pixels along its
//! edges take a large share of its box, so fill is measured inside the box less an edge band.
//! A large label shot from close by is the opposite case: its blob's outline follows the glyphs,
//! so it fills less of its box than a small caption does; a blob the detector is nearly certain
//! of and that is very long passes with a lower fill (the sure tier).
//! The thresholds were chosen on one half of the photos and reported on the other: see
//! models/text/README.md and scripts/train/text_rule.py.

use super::step::FoundText;

/// The shape of a text line's blob (`FoundText::core` and `fill`).
#[derive(Debug, Clone, PartialEq)]
pub struct LineShape {
    /// Mean probability inside the blob.
    pub min_score: f32,
    /// Share of the blob's own box, less `edge` map pixels of each side's length, that the
    /// blob fills.
    pub min_fill: f32,
    /// Map pixels taken off the box's width and height before the fill is measured (half on
    /// each side): 0 measures the plain box.
    pub edge: f32,
    /// Long side over short side of the blob's box.
    pub min_aspect: f32,
    /// The blob's short side over the photo's short side.
    pub max_height_share: f32,
    /// A blob that passes all but `min_aspect` is kept when it sits on a kept line: its centre
    /// within that line's band, its height between half and twice the line's, and no further
    /// from it than this many line heights.
    pub join_gap: f32,
    /// The sure tier: a blob with at least this score passes with `sure_fill` instead of
    /// `min_fill`, when it is at least `sure_aspect` long (a score above 1 turns the tier off).
    pub sure_score: f32,
    pub sure_fill: f32,
    pub sure_aspect: f32,
}

impl Default for LineShape {
    fn default() -> Self {
        LineShape {
            min_score: 0.75,
            min_fill: 0.75,
            edge: 1.5,
            min_aspect: 4.0,
            max_height_share: 0.08,
            join_gap: 3.0,
            sure_score: 0.99,
            sure_fill: 0.6,
            sure_aspect: 12.0,
        }
    }
}

/// The blobs of `found` that are text lines in a `width × height` photo, in their order.
pub fn text_lines(found: Vec<FoundText>, width: u32, height: u32, shape: &LineShape) -> Vec<FoundText> {
    let photo_short = width.min(height).max(1) as f32;
    let small_enough = |t: &FoundText| t.core[2].min(t.core[3]) / photo_short <= shape.max_height_share;
    let plain = |t: &FoundText| t.score >= shape.min_score && edge_fill(t, shape.edge) >= shape.min_fill;
    let sure = |t: &FoundText| t.score >= shape.sure_score && edge_fill(t, shape.edge) >= shape.sure_fill;
    let plausible = |t: &FoundText| small_enough(t) && (plain(t) || sure(t));
    let is_line = |t: &FoundText| {
        small_enough(t)
            && ((plain(t) && aspect(t) >= shape.min_aspect) || (sure(t) && aspect(t) >= shape.sure_aspect))
    };
    let lines: Vec<[f32; 4]> = found.iter().filter(|t| is_line(t)).map(|t| t.core).collect();
    found
        .into_iter()
        .filter(|t| is_line(t) || (plausible(t) && lines.iter().any(|l| on_line(&t.core, l, shape.join_gap))))
        .collect()
}

/// The blob's share of its box less `edge` map pixels of width and of height (at least one
/// pixel of each is left).
fn edge_fill(t: &FoundText, edge: f32) -> f32 {
    let [w, h] = t.map_size;
    let inner = (w - edge).max(1.0) * (h - edge).max(1.0);
    t.fill * w * h / inner
}

fn aspect(t: &FoundText) -> f32 {
    let (w, h) = (t.core[2], t.core[3]);
    w.max(h) / w.min(h).max(f32::EPSILON)
}

/// Whether box `b` (`[x, y, w, h]`) continues the line `line`, horizontal or vertical.
fn on_line(b: &[f32; 4], line: &[f32; 4], gap: f32) -> bool {
    let ([bx, by, bw, bh], [lx, ly, lw, lh]) = (*b, *line);
    // (start, length) along the line and across it.
    let ((b_along, b_len), (l_along, l_len), (b_across, b_height), (l_across, l_height)) =
        if lw >= lh { ((bx, bw), (lx, lw), (by, bh), (ly, lh)) } else { ((by, bh), (ly, lh), (bx, bw), (lx, lw)) };
    let centre = b_across + b_height / 2.0;
    let in_band = centre >= l_across && centre <= l_across + l_height;
    let similar = b_height >= l_height / 2.0 && b_height <= l_height * 2.0;
    let distance = (b_along - (l_along + l_len)).max(l_along - (b_along + b_len));
    in_band && similar && distance <= gap * l_height
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A blob whose map pixels are its photo pixels.
    fn blob(core: [f32; 4], score: f32, fill: f32) -> FoundText {
        FoundText { region: core, score, core, fill, map_size: [core[2], core[3]] }
    }

    #[test]
    fn a_thin_full_confident_bar_is_text_and_a_round_blob_is_not() {
        let found = vec![
            blob([100.0, 900.0, 200.0, 20.0], 0.99, 0.9), // a printed line
            blob([400.0, 300.0, 150.0, 130.0], 0.99, 0.7), // a lesion
            blob([100.0, 100.0, 200.0, 20.0], 0.7, 0.9),  // unsure
            blob([600.0, 100.0, 200.0, 20.0], 0.99, 0.4), // ragged
            blob([100.0, 500.0, 600.0, 90.0], 0.99, 0.9), // too tall for this photo
        ];
        let kept = text_lines(found, 1000, 1000, &LineShape::default());
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].core, [100.0, 900.0, 200.0, 20.0]);
    }

    #[test]
    fn a_thin_line_is_judged_by_its_fill_inside_the_edge_band() {
        // 6 map pixels thick, 60 % of its box lit: a small caption line, whose half-lit edge
        // rows are a third of its box. Inside the 1.5-pixel band: 0.6 · 480 / (78.5 · 4.5) ≈ 0.82.
        let mut thin = blob([100.0, 900.0, 120.0, 9.0], 0.9, 0.6);
        thin.map_size = [80.0, 6.0];
        // The same fill in a blob 30 map pixels thick is ragged: 0.6 · 2400 / (78.5 · 28.5) ≈ 0.64.
        let mut thick = blob([100.0, 500.0, 120.0, 45.0], 0.9, 0.6);
        thick.map_size = [80.0, 30.0];
        let kept = text_lines(vec![thin, thick], 1000, 1000, &LineShape::default());
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].core[1], 900.0);
        // Without the band the thin line fails too.
        let mut plain = blob([100.0, 900.0, 120.0, 9.0], 0.9, 0.6);
        plain.map_size = [80.0, 6.0];
        assert!(text_lines(vec![plain], 1000, 1000, &LineShape { edge: 0.0, ..LineShape::default() }).is_empty());
    }

    #[test]
    fn a_thick_line_of_a_label_shot_close_is_text() {
        // 6 % of the photo's short side: a label photographed from close by.
        let found = vec![blob([100.0, 400.0, 700.0, 60.0], 0.99, 0.85)];
        assert_eq!(text_lines(found, 1000, 1000, &LineShape::default()).len(), 1);
    }

    #[test]
    fn a_long_sure_blob_that_follows_its_glyphs_is_text_and_a_short_one_is_not() {
        // 24 map pixels thick, 68 % of its box lit (73 % inside the band): a large label's line
        // whose blob dips between the letters.
        let mut long_line = blob([100.0, 400.0, 480.0, 24.0], 0.995, 0.68);
        long_line.map_size = [480.0, 24.0];
        let mut unsure = long_line.clone();
        unsure.score = 0.98;
        let mut short_line = blob([100.0, 600.0, 120.0, 24.0], 0.995, 0.68);
        short_line.map_size = [120.0, 24.0];
        let kept = text_lines(vec![long_line, unsure, short_line], 1000, 1000, &LineShape::default());
        assert_eq!(kept.len(), 1);
        assert_eq!((kept[0].core[1], kept[0].score), (400.0, 0.995));
        let off = LineShape { sure_score: 1.1, ..LineShape::default() };
        let mut again = blob([100.0, 400.0, 480.0, 24.0], 0.995, 0.68);
        again.map_size = [480.0, 24.0];
        assert!(text_lines(vec![again], 1000, 1000, &off).is_empty());
    }

    #[test]
    fn short_pieces_on_a_kept_line_are_kept_and_lone_ones_are_not() {
        let found = vec![
            blob([100.0, 900.0, 80.0, 20.0], 0.99, 0.9),  // "2005"
            blob([200.0, 902.0, 12.0, 18.0], 0.99, 0.9),  // "2", two heights on
            blob([260.0, 901.0, 12.0, 18.0], 0.99, 0.9),  // "1", further than three heights from "2005"
            blob([500.0, 300.0, 12.0, 18.0], 0.99, 0.9),  // a lone dot elsewhere
        ];
        let kept = text_lines(found, 1000, 1000, &LineShape::default());
        let xs: Vec<f32> = kept.iter().map(|t| t.core[0]).collect();
        assert_eq!(xs, vec![100.0, 200.0]);
    }

    #[test]
    fn a_vertical_line_counts_like_a_horizontal_one() {
        let found = vec![
            blob([50.0, 100.0, 20.0, 200.0], 0.99, 0.9),
            blob([52.0, 320.0, 18.0, 14.0], 0.99, 0.9),
        ];
        assert_eq!(text_lines(found, 1000, 800, &LineShape::default()).len(), 2);
    }
}
