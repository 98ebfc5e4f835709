//! The identifiable-photo gate: a photo whose face is large and frontal is a full-face
//! portrait, and redacting the face would leave nothing of clinical use while the rest (hair,
//! ears, clothing, background) still identifies the person. Such photos are excluded
//! (reason `full_face`) unless the operator overrides.

use super::boxes::Face;

#[derive(Debug, Clone, PartialEq)]
pub struct GateConfig {
    /// A face whose box spans at least this share of the photo's width or height is large.
    pub min_extent: f32,
    /// Faces scoring below this do not trigger the gate (they are still redacted).
    pub min_score: f32,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            min_extent: 0.3,
            min_score: 0.6,
        }
    }
}

/// Frontal by landmarks: both eyes inside the box and apart by a quarter of its width, the eye
/// line within ~30° of horizontal, and the nose tip between the eyes horizontally (a profile
/// puts it outside).
pub fn is_frontal(face: &Face) -> bool {
    let [x0, y0, x1, y1] = face.bbox;
    let w = x1 - x0;
    let [right_eye, left_eye, nose, _, _] = face.landmarks;
    let inside = |[x, y]: [f32; 2]| x >= x0 && x <= x1 && y >= y0 && y <= y1;
    let (lo, hi) = if right_eye[0] <= left_eye[0] {
        (right_eye, left_eye)
    } else {
        (left_eye, right_eye)
    };
    let dx = hi[0] - lo[0];
    let dy = (hi[1] - lo[1]).abs();
    let margin = dx * 0.1;
    w > 0.0
        && inside(right_eye)
        && inside(left_eye)
        && dx >= 0.25 * w
        && dy <= 0.6 * dx
        && nose[0] > lo[0] + margin
        && nose[0] < hi[0] - margin
}

/// Whether `faces` make a `width × height` photo a full-face portrait.
pub fn is_full_face(faces: &[Face], width: u32, height: u32, config: &GateConfig) -> bool {
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    faces.iter().any(|f| {
        f.score >= config.min_score
            && (f.width() / w).max(f.height() / h) >= config.min_extent
            && is_frontal(f)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(bbox: [f32; 4], landmarks: [[f32; 2]; 5]) -> Face {
        Face {
            bbox,
            score: 0.9,
            landmarks,
        }
    }

    const FRONTAL: [[f32; 2]; 5] = [
        [40.0, 45.0],
        [60.0, 45.0],
        [50.0, 55.0],
        [42.0, 65.0],
        [58.0, 65.0],
    ];

    #[test]
    fn large_frontal_face_is_a_portrait() {
        let f = face([30.0, 30.0, 70.0, 80.0], FRONTAL);
        assert!(is_frontal(&f));
        assert!(is_full_face(
            std::slice::from_ref(&f),
            100,
            100,
            &GateConfig::default()
        ));
        // The same face in a 1000 px photo is a background face.
        assert!(!is_full_face(&[f], 1000, 1000, &GateConfig::default()));
    }

    #[test]
    fn profile_is_not_frontal() {
        let profile = [
            [40.0, 45.0],
            [48.0, 45.0],
            [35.0, 55.0],
            [40.0, 65.0],
            [46.0, 65.0],
        ];
        assert!(!is_frontal(&face([30.0, 30.0, 70.0, 80.0], profile)));
    }
}
