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
    /// Per bucket: ground-truth faces at least 90 % inside some detection grown by the
    /// redaction margin (what matters for anonymisation: was the face painted over?).
    pub covered: [usize; 5],
    /// Per bucket: ground-truth faces found (IoU) or covered: redacted either way.
    pub redacted: [usize; 5],
}

/// Share of the ground-truth box `t` inside `d` grown by `margin` of its size on each side.
fn covered_share(t: &Face, d: &Face, margin: f32) -> f32 {
    let (mx, my) = (d.width() * margin, d.height() * margin);
    let g = [
        d.bbox[0] - mx,
        d.bbox[1] - my,
        d.bbox[2] + mx,
        d.bbox[3] + my,
    ];
    let iw = (t.bbox[2].min(g[2]) - t.bbox[0].max(g[0])).max(0.0);
    let ih = (t.bbox[3].min(g[3]) - t.bbox[1].max(g[1])).max(0.0);
    let area = t.width() * t.height();
    if area > 0.0 {
        iw * ih / area
    } else {
        0.0
    }
}

/// The margin `redact` adds around each face box (20 % of its size on every side).
pub const REDACTION_MARGIN: f32 = 0.2;

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
                seen_eyes: None,
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
            let Some(bucket) = BUCKETS
                .iter()
                .position(|(_, lo, hi)| size >= *lo && size < *hi)
            else {
                continue;
            };
            let covered = detections
                .iter()
                .any(|d| covered_share(t, d, REDACTION_MARGIN) >= 0.9);
            if let Some(slot) = self.recall.get_mut(bucket) {
                slot.1 += 1;
                slot.0 += usize::from(hit);
            }
            if let Some(c) = self.covered.get_mut(bucket) {
                *c += usize::from(covered);
            }
            if let Some(r) = self.redacted.get_mut(bucket) {
                *r += usize::from(covered || hit);
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

    /// Share of faces of at least `min_size` pixels that redaction would cover.
    pub fn coverage_at_least(&self, min_size: f32) -> f32 {
        Self::share(&self.covered, &self.recall, min_size)
    }

    /// Share of faces of at least `min_size` pixels found (IoU) or covered by a redaction.
    pub fn redacted_at_least(&self, min_size: f32) -> f32 {
        Self::share(&self.redacted, &self.recall, min_size)
    }

    fn share(counts: &[usize; 5], recall: &[(usize, usize); 5], min_size: f32) -> f32 {
        let (found, total) = BUCKETS
            .iter()
            .zip(counts.iter().zip(recall.iter().copied()))
            .filter(|((_, lo, _), _)| *lo >= min_size)
            .fold((0, 0), |(f, t), (_, (c, (_, bt)))| (f + c, t + bt));
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

    /// A Markdown table: bucket, found/total, recall, covered, redacted.
    pub fn table(&self) -> String {
        let mut s = String::from(
            "| face size (px) | found (IoU ≥ 0.5) / total | recall | covered by redaction | redacted (found or covered) |\n|---|---|---|---|---|\n",
        );
        for ((((name, _, _), (f, t)), c), d) in BUCKETS
            .iter()
            .zip(self.recall)
            .zip(self.covered)
            .zip(self.redacted)
        {
            let r = |n: usize| if t == 0 { 0.0 } else { n as f32 / t as f32 };
            s.push_str(&format!(
                "| {name} | {f} / {t} | {:.3} | {:.3} | {:.3} |\n",
                r(f),
                r(c),
                r(d)
            ));
        }
        s.push_str(&format!(
            "\nrecall (≥16 px): {:.3}; covered (≥16 px): {:.3}; redacted (≥16 px): {:.3}; precision: {:.3} ({} of {} detections match a face)\n",
            self.recall_at_least(16.0),
            self.coverage_at_least(16.0),
            self.redacted_at_least(16.0),
            self.precision(),
            self.true_positives,
            self.detections
        ));
        s
    }
}
