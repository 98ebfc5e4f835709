//! hifu's rule for "friction ridges are resolved here": which blocks look like ridges, and how
//! large a connected patch of them must be before a person should look. The thresholds were
//! chosen on one half of the photos and reported on the other (models/fingerprint/README.md).

use super::scan::RidgeMap;
use super::spectrum::BlockRidges;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RidgeRule {
    /// Lowest ridge frequency, cycles per block: fewer cycles are too few to call periodic.
    pub min_cycles: f32,
    pub min_prominence: f32,
    pub min_concentration: f32,
    /// Contrast range: below it is sensor noise on smooth skin, above it printed stripes (a
    /// logo, a ruler's marks, fabric) rather than skin relief.
    pub min_contrast: f32,
    pub max_contrast: f32,
    /// Skin's redness, `(R − G) / (R + G + B)` of the block's mean colour: fabrics and
    /// backgrounds in skin-like browns and beiges are less red than skin.
    pub min_redness: f32,
    pub max_white_share: f32,
    pub min_agreement: f32,
    /// A patch (8-connected ridge blocks at one scale) counts when it has at least
    /// `min_blocks` blocks and covers at least `min_area` blocks of the first scale.
    pub min_blocks: usize,
    pub min_area: f32,
}

impl Default for RidgeRule {
    /// The rule `scripts/train/fingerprint_rule.py` chose (models/fingerprint/README.md).
    fn default() -> Self {
        RidgeRule {
            min_cycles: 2.5,
            min_prominence: 10.0,
            min_concentration: 0.65,
            min_contrast: 0.005,
            max_contrast: 0.08,
            min_redness: 0.03,
            max_white_share: 0.15,
            min_agreement: 0.5,
            min_blocks: 6,
            min_area: 8.0,
        }
    }
}

/// A patch of ridge blocks: its box in photo pixels and its area in blocks of the first scale.
#[derive(Debug, Clone, PartialEq)]
pub struct RidgePatch {
    pub region: [f32; 4],
    pub blocks: usize,
    pub area: f32,
}

impl RidgeRule {
    pub fn is_ridge(&self, b: &BlockRidges) -> bool {
        b.cycles >= self.min_cycles
            && b.prominence >= self.min_prominence
            && b.concentration >= self.min_concentration
            && b.contrast >= self.min_contrast
            && b.contrast <= self.max_contrast
            && b.white_share <= self.max_white_share
            && b.agreement >= self.min_agreement
            && skin_coloured(b.mean_rgb)
            && redness(b.mean_rgb) >= self.min_redness
    }

    /// Every patch that counts, at any scale, largest first.
    pub fn patches(&self, maps: &[RidgeMap]) -> Vec<RidgePatch> {
        let mut found: Vec<RidgePatch> = maps
            .iter()
            .flat_map(|map| components(map, |b| self.is_ridge(b)))
            .filter(|p| p.blocks >= self.min_blocks && p.area >= self.min_area)
            .collect();
        found.sort_by(|a, b| b.area.total_cmp(&a.area));
        found
    }
}

/// A colour skin can have under clinical light: reddish, not grey, blue or green (drapes and
/// gloves carry woven or ribbed textures).
pub fn skin_coloured([r, g, b]: [f32; 3]) -> bool {
    r > 60.0 && r > b && r >= 0.95 * g && r - b > 10.0
}

/// `(R − G) / (R + G + B)`.
pub fn redness([r, g, b]: [f32; 3]) -> f32 {
    (r - g) / (r + g + b).max(1.0)
}

/// 8-connected patches of blocks that pass `keep`, with their boxes in photo pixels.
fn components(map: &RidgeMap, keep: impl Fn(&BlockRidges) -> bool) -> Vec<RidgePatch> {
    let (rows, columns) = (map.rows, map.columns);
    let mut seen = vec![false; rows * columns];
    // Marks block (i, j) as taken and says whether it was free and passes `keep`.
    let mut claim = |i: usize, j: usize| {
        let free = map.block(i, j).is_some_and(&keep)
            && seen
                .get_mut(i * columns + j)
                .is_some_and(|s| !std::mem::replace(s, true));
        free
    };
    let mut patches = Vec::new();
    for start in 0..rows * columns {
        let (row, column) = (start / columns.max(1), start % columns.max(1));
        if !claim(row, column) {
            continue;
        }
        let mut stack = vec![(row, column)];
        let (mut count, mut x0, mut y0, mut x1, mut y1) =
            (0usize, f32::MAX, f32::MAX, 0.0f32, 0.0f32);
        while let Some((i, j)) = stack.pop() {
            count += 1;
            let [x, y, w, h] = map.block_region(i, j);
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + w), y1.max(y + h));
            stack.extend(map.neighbours(i, j).filter(|&(ni, nj)| claim(ni, nj)));
        }
        patches.push(RidgePatch {
            region: [x0, y0, x1 - x0, y1 - y0],
            blocks: count,
            area: count as f32 * map.area,
        });
    }
    patches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pattern: &[&str]) -> RidgeMap {
        let ridge = BlockRidges {
            cycles: 5.0,
            direction: 0.0,
            prominence: 30.0,
            concentration: 0.8,
            contrast: 0.05,
            mean_rgb: [200.0, 150.0, 130.0],
            white_share: 0.0,
            agreement: 1.0,
        };
        let blocks = pattern
            .iter()
            .flat_map(|row| {
                row.chars().map(|c| {
                    if c == '#' {
                        ridge
                    } else {
                        BlockRidges::default()
                    }
                })
            })
            .collect();
        RidgeMap {
            photo_per_pixel: 2.0,
            area: 4.0,
            columns: pattern[0].len(),
            rows: pattern.len(),
            blocks,
        }
    }

    #[test]
    fn a_patch_is_measured_in_first_scale_blocks_and_boxed_in_photo_pixels() {
        let rule = RidgeRule {
            min_blocks: 3,
            min_area: 12.0,
            ..Default::default()
        };
        let found = rule.patches(&[map(&["##..", ".#..", "...#"])]);
        assert_eq!(
            found,
            vec![RidgePatch {
                region: [0.0, 0.0, 96.0, 96.0],
                blocks: 3,
                area: 12.0
            }]
        );
        let rule = RidgeRule {
            min_blocks: 3,
            min_area: 13.0,
            ..Default::default()
        };
        assert!(rule.patches(&[map(&["##..", ".#..", "...#"])]).is_empty());
        let rule = RidgeRule {
            min_blocks: 4,
            min_area: 12.0,
            ..Default::default()
        };
        assert!(rule.patches(&[map(&["##..", ".#..", "...#"])]).is_empty());
    }

    #[test]
    fn drapes_and_grey_are_not_skin() {
        assert!(skin_coloured([200.0, 150.0, 130.0]));
        assert!(!skin_coloured([40.0, 80.0, 160.0]));
        assert!(!skin_coloured([120.0, 125.0, 120.0]));
        assert!(!skin_coloured([60.0, 140.0, 90.0]));
    }
}
