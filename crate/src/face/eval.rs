//! Recall by face size and precision of detections against ground-truth boxes (used by the
//! recall test and the benchmark; pure arithmetic, no I/O).

use super::boxes::{iou, Face};

/// Size buckets by √(width·height) of the ground-truth box, in pixels.
pub const BUCKETS: [(&str, f32, f32); 5] = [
    ("<16", 0.0, 16.0),
    ("16-32", 16.0, 32.0),
    ("32-64", 32.0, 64.0),
    ("64-128", 64.0, 128.0),
    (">=128", 128.0, f32::INFINITY),
];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Per bucket: (found, total) ground-truth faces.
    pub recall: [(usize, usize); 5],
    /// Detections that matched a ground-truth face, and all detections.
    pub true_positives: usize,
    pub detections: usize,
}

impl Tally {
    /// Greedy one-to-one matching, best detections first, at IoU ≥ `min_iou`.
    pub fn add(&mut self, truth: &[[f32; 4]], detections: &[Face], min_iou: f32) {
        let mut sorted: Vec<&Face> = detections.iter().collect();
        sorted.sort_by(|a, b| b.score.total_cmp(&a.score));
        let truth_faces: Vec<Face> = truth
            .iter()
            .map(|b| Face {
                bbox: *b,
                score: 1.0,
                landmarks: [[0.0; 2]; 5],
            })
            .collect();
        let mut found = vec![false; truth.len()];
        for det in sorted {
            let best = truth_faces
                .iter()
                .enumerate()
                .filter(|(i, _)| !found.get(*i).copied().unwrap_or(true))
                .map(|(i, t)| (i, iou(t, det)))
                .max_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((i, v)) = best {
                if v >= min_iou {
                    if let Some(f) = found.get_mut(i) {
                        *f = true;
                    }
                    self.true_positives += 1;
                }
            }
            self.detections += 1;
        }
        for (t, hit) in truth_faces.iter().zip(found) {
            let size = (t.width() * t.height()).sqrt();
            if let Some(slot) = BUCKETS
                .iter()
                .position(|(_, lo, hi)| size >= *lo && size < *hi)
                .and_then(|i| self.recall.get_mut(i))
            {
                slot.1 += 1;
                if hit {
                    slot.0 += 1;
                }
            }
        }
    }

    /// Recall over faces of at least `min_size` pixels (a bucket boundary).
    pub fn recall_at_least(&self, min_size: f32) -> f32 {
        let (found, total) = BUCKETS
            .iter()
            .zip(self.recall)
            .filter(|((_, lo, _), _)| *lo >= min_size)
            .fold((0, 0), |(f, t), (_, (bf, bt))| (f + bf, t + bt));
        if total == 0 {
            0.0
        } else {
            found as f32 / total as f32
        }
    }

    pub fn precision(&self) -> f32 {
        if self.detections == 0 {
            1.0
        } else {
            self.true_positives as f32 / self.detections as f32
        }
    }

    /// A Markdown table: bucket, found/total, recall.
    pub fn table(&self) -> String {
        let mut s = String::from("| face size (px) | found / total | recall |\n|---|---|---|\n");
        for ((name, _, _), (f, t)) in BUCKETS.iter().zip(self.recall) {
            let r = if t == 0 { 0.0 } else { f as f32 / t as f32 };
            s.push_str(&format!("| {name} | {f} / {t} | {r:.3} |\n"));
        }
        s.push_str(&format!(
            "\nrecall (≥16 px): {:.3}; precision: {:.3} ({} of {} detections match a face)\n",
            self.recall_at_least(16.0),
            self.precision(),
            self.true_positives,
            self.detections
        ));
        s
    }
}
