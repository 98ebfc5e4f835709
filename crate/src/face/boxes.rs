//! Face boxes: decoding YuNet's per-stride maps into boxes (as the reference post-processing
//! does: a prior point per cell at (col·s, row·s), score = √(cls·obj), box centre offset and
//! log-size in stride units, landmarks as offsets from the prior) and non-maximum suppression.

use serde::{Deserialize, Serialize};

/// One detected face, in pixel coordinates of the photo as stored after orientation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Face {
    /// Left, top, right, bottom.
    pub bbox: [f32; 4],
    /// √(class · objectness), 0–1.
    pub score: f32,
    /// Right eye, left eye, nose tip, right and left mouth corner (the subject's right/left).
    pub landmarks: [[f32; 2]; 5],
    /// The eyes (right, left) where the judge's CenterFace sees them, once it has confirmed
    /// the face: a stronger network than YuNet, and it places eyes outside the frame when a
    /// close-up has none (the gate bars eyes only when these lie in the photo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_eyes: Option<[[f32; 2]; 2]>,
}

impl Face {
    pub fn width(&self) -> f32 {
        (self.bbox[2] - self.bbox[0]).max(0.0)
    }

    pub fn height(&self) -> f32 {
        (self.bbox[3] - self.bbox[1]).max(0.0)
    }

    fn area(&self) -> f32 {
        self.width() * self.height()
    }

    /// Maps a face found in a scaled, shifted copy back to the original: (x + dx) / scale.
    pub fn mapped(&self, dx: f32, dy: f32, scale: f32) -> Face {
        let f = |x: f32, d: f32| (x + d) / scale;
        Face {
            bbox: [
                f(self.bbox[0], dx),
                f(self.bbox[1], dy),
                f(self.bbox[2], dx),
                f(self.bbox[3], dy),
            ],
            score: self.score,
            landmarks: self.landmarks.map(|[x, y]| [f(x, dx), f(y, dy)]),
            seen_eyes: self.seen_eyes.map(|e| e.map(|[x, y]| [f(x, dx), f(y, dy)])),
        }
    }
}

/// Intersection of two boxes over their union, and over the smaller one's area.
fn overlaps(a: &Face, b: &Face) -> (f32, f32) {
    let iw = (a.bbox[2].min(b.bbox[2]) - a.bbox[0].max(b.bbox[0])).max(0.0);
    let ih = (a.bbox[3].min(b.bbox[3]) - a.bbox[1].max(b.bbox[1])).max(0.0);
    let inter = iw * ih;
    let union = a.area() + b.area() - inter;
    let smaller = a.area().min(b.area());
    let ratio = |d: f32| if d > 0.0 { inter / d } else { 0.0 };
    (ratio(union), ratio(smaller))
}

pub fn iou(a: &Face, b: &Face) -> f32 {
    overlaps(a, b).0
}

/// The raw maps of one stride for one image, flattened row-major per cell.
pub struct LevelMaps<'a> {
    pub stride: usize,
    /// Cells per row (input width / stride).
    pub width: usize,
    pub cls: &'a [f32],
    pub obj: &'a [f32],
    pub bbox: &'a [f32],
    pub kps: &'a [f32],
}

/// All cells of one level scoring at least `threshold`, as faces in input-pixel coordinates.
pub fn decode_level(level: &LevelMaps<'_>, threshold: f32, out: &mut Vec<Face>) {
    let s = level.stride as f32;
    let cells = level
        .cls
        .iter()
        .zip(level.obj)
        .zip(level.bbox.chunks_exact(4))
        .zip(level.kps.chunks_exact(10))
        .enumerate();
    for (index, (((cls, obj), bbox), kps)) in cells {
        let score = (cls.clamp(0.0, 1.0) * obj.clamp(0.0, 1.0)).sqrt();
        if score < threshold || level.width == 0 {
            continue;
        }
        let col = (index % level.width) as f32;
        let row = (index / level.width) as f32;
        let [dx, dy, lw, lh] = [0, 1, 2, 3].map(|i| bbox.get(i).copied().unwrap_or(0.0));
        let (cx, cy) = ((col + dx) * s, (row + dy) * s);
        let (w, h) = (lw.exp() * s, lh.exp() * s);
        if !(cx.is_finite() && cy.is_finite() && w.is_finite() && h.is_finite()) {
            continue;
        }
        let mut landmarks = [[0f32; 2]; 5];
        for (point, xy) in landmarks.iter_mut().zip(kps.chunks_exact(2)) {
            if let [x, y] = *xy {
                *point = [(col + x) * s, (row + y) * s];
            }
        }
        out.push(Face {
            bbox: [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0],
            score,
            landmarks,
            seen_eyes: None,
        });
    }
}

/// Greedy non-maximum suppression: keeps the best-scoring face of each overlapping group
/// (IoU above `iou_threshold`). When one face lies mostly (`containment` of its area) inside
/// another — the partial faces that tiles and multi-scale passes produce around a whole one —
/// the larger box is kept with the better score, so redaction covers the whole face.
pub fn nms(mut faces: Vec<Face>, iou_threshold: f32, containment: f32) -> Vec<Face> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Face> = Vec::new();
    'faces: for face in faces {
        for k in kept.iter_mut() {
            let (iou, over_smaller) = overlaps(k, &face);
            if iou > iou_threshold {
                continue 'faces;
            }
            if over_smaller > containment {
                if face.area() > k.area() {
                    let score = k.score;
                    *k = Face { score, ..face };
                }
                continue 'faces;
            }
        }
        kept.push(face);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(x1: f32, y1: f32, x2: f32, y2: f32, score: f32) -> Face {
        Face {
            bbox: [x1, y1, x2, y2],
            score,
            landmarks: [[0.0; 2]; 5],
            seen_eyes: None,
        }
    }

    #[test]
    fn decodes_a_cell_like_the_reference() {
        // Cell (col 2, row 1) at stride 8 with a centred box of size 8·e^1.
        let cls = [0.0, 0.0, 0.0, 0.0, 0.0, 0.81];
        let obj = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
        let mut bbox = [0.0f32; 24];
        bbox[20..24].copy_from_slice(&[0.5, 0.5, 1.0, 0.0]);
        let mut kps = [0.0f32; 60];
        kps[50] = 1.0;
        let level = LevelMaps {
            stride: 8,
            width: 3,
            cls: &cls,
            obj: &obj,
            bbox: &bbox,
            kps: &kps,
        };
        let mut out = Vec::new();
        decode_level(&level, 0.5, &mut out);
        assert_eq!(out.len(), 1);
        let f = &out[0];
        assert!((f.score - 0.9).abs() < 1e-6);
        let (cx, cy, w) = (20.0, 12.0, 8.0 * 1f32.exp());
        assert!((f.bbox[0] - (cx - w / 2.0)).abs() < 1e-4);
        assert!((f.bbox[1] - (cy - 4.0)).abs() < 1e-4);
        assert!((f.bbox[2] - (cx + w / 2.0)).abs() < 1e-4);
        assert_eq!(f.landmarks[0], [24.0, 8.0]);
    }

    #[test]
    fn nms_keeps_best_of_overlapping_and_drops_contained() {
        let faces = vec![
            face(0.0, 0.0, 10.0, 10.0, 0.8),
            face(1.0, 1.0, 11.0, 11.0, 0.9),
            face(50.0, 50.0, 60.0, 60.0, 0.7),
            face(2.0, 2.0, 5.0, 5.0, 0.95),
        ];
        let kept = nms(faces, 0.3, 0.6);
        let scores: Vec<f32> = kept.iter().map(|f| f.score).collect();
        // 0.95 is a part inside 0.9's box: the larger box wins with the better score, and 0.8
        // overlaps it (IoU 0.68) so it goes.
        assert_eq!(scores, vec![0.95, 0.7]);
        assert_eq!(kept[0].bbox, [1.0, 1.0, 11.0, 11.0]);
    }
}
