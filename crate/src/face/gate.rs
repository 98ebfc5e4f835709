//! The identifiable-photo gate for faces: what each face found means for the photo.
//!
//! The rule (README "Faces"), following the database's own: a photo in which a whole face can
//! be identified is excluded; a facial close-up keeps its lesion and loses what identifies it.
//! - **Full face**: a large face (spanning at least `min_extent` of the photo), confidently
//!   found, frontal by its landmarks, and whole: every landmark lies inside the photo with room
//!   to spare (`edge_margin` eye distances), so eyes, nose and mouth are all in the frame. The
//!   photo is excluded (reason `full_face`) unless the operator overrides, when the face box is
//!   redacted instead.
//! - **Partial face**: any other large face, i.e. a close-up cut by the frame (nose and mouth
//!   without the eyes, eyes without the mouth), a profile or a turned head. The photo is
//!   flagged `partial_face` for the reviewer, and when the eyes are in the photo a band over
//!   them is redacted (the classic eye bar); the rest of the face stays for the lesion. Where
//!   the eyes are is CenterFace's answer (the judge's, `Face::seen_eyes`): on a close-up of a
//!   cheek, lips or chin YuNet still draws eyes on the skin, where a band would destroy the
//!   lesion, while CenterFace puts them beyond the frame. Both eyes must lie `eye_margin` eye
//!   distances inside the photo.
//! - **Background face**: a smaller face (a bystander, a face far from the lesion): its box,
//!   grown by the margin, is redacted.

use super::boxes::Face;
use super::judge::extent;

#[derive(Debug, Clone, PartialEq)]
pub struct GateConfig {
    /// A face whose box spans at least this share of the photo's width or height is large.
    pub min_extent: f32,
    /// Large faces scoring below this are never taken for a full face (they are partial).
    pub min_score: f32,
    /// A whole face has every landmark at least this many eye distances inside the photo.
    pub edge_margin: f32,
    /// The eye band reaches this many eye distances beyond each eye, sideways…
    pub band_across: f32,
    /// …and up and down.
    pub band_height: f32,
    /// A partial face's eyes are barred only when both lie at least this many eye distances
    /// inside the photo.
    pub eye_margin: f32,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            min_extent: 0.3,
            min_score: 0.6,
            edge_margin: 0.25,
            band_across: 0.35,
            band_height: 0.3,
            eye_margin: 0.1,
        }
    }
}

/// What a face is, for the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceKind {
    Full,
    Partial,
    Background,
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

fn distance([ax, ay]: [f32; 2], [bx, by]: [f32; 2]) -> f32 {
    ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt()
}

fn eye_distance(face: &Face) -> f32 {
    distance(face.landmarks[0], face.landmarks[1])
}

/// The eyes the gate goes by: CenterFace's when the judge looked, else YuNet's.
fn eyes(face: &Face) -> [[f32; 2]; 2] {
    face.seen_eyes
        .unwrap_or([face.landmarks[0], face.landmarks[1]])
}

/// Whether both eyes lie at least `margin` eye distances inside a `width × height` photo.
pub fn eyes_in_frame(face: &Face, width: u32, height: u32, margin: f32) -> bool {
    let pair = eyes(face);
    all_inside(&pair, margin * distance(pair[0], pair[1]).max(1.0), width, height)
}

/// Every landmark at least `margin` eye distances inside a `width × height` photo.
pub fn is_whole(face: &Face, width: u32, height: u32, margin: f32) -> bool {
    all_inside(&face.landmarks, margin * eye_distance(face).max(1.0), width, height)
}

/// Every point at least `m` pixels inside a `width × height` photo.
fn all_inside(points: &[[f32; 2]], m: f32, width: u32, height: u32) -> bool {
    let (w, h) = (width as f32, height as f32);
    points
        .iter()
        .all(|&[x, y]| x >= m && x <= w - m && y >= m && y <= h - m)
}

pub fn kind(face: &Face, width: u32, height: u32, config: &GateConfig) -> FaceKind {
    if extent(face, width, height) < config.min_extent {
        FaceKind::Background
    } else if face.score >= config.min_score
        && is_frontal(face)
        && is_whole(face, width, height, config.edge_margin)
    {
        FaceKind::Full
    } else {
        FaceKind::Partial
    }
}

/// Whether `faces` make a `width × height` photo a full-face portrait.
pub fn is_full_face(faces: &[Face], width: u32, height: u32, config: &GateConfig) -> bool {
    faces
        .iter()
        .any(|f| kind(f, width, height, config) == FaceKind::Full)
}

/// The band over a face's eyes (`eyes`), `[x0, y0, x1, y1]`, unclipped: from `band_across` eye
/// distances beyond the outer eye on each side, `band_height` above and below the eye line
/// (at least a fifth of the box width apart, for a face seen from the side).
pub fn eye_band(face: &Face, config: &GateConfig) -> [f32; 4] {
    let [[ax, ay], [bx, by]] = eyes(face);
    let d = distance([ax, ay], [bx, by]).max(0.2 * face.width());
    [
        ax.min(bx) - config.band_across * d,
        ay.min(by) - config.band_height * d,
        ax.max(bx) + config.band_across * d,
        ay.max(by) + config.band_height * d,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(bbox: [f32; 4], landmarks: [[f32; 2]; 5]) -> Face {
        Face {
            bbox,
            score: 0.9,
            landmarks,
            seen_eyes: None,
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
    fn large_frontal_whole_face_is_a_portrait() {
        let f = face([30.0, 30.0, 70.0, 80.0], FRONTAL);
        assert!(is_frontal(&f));
        assert_eq!(kind(&f, 100, 100, &GateConfig::default()), FaceKind::Full);
        assert!(is_full_face(
            std::slice::from_ref(&f),
            100,
            100,
            &GateConfig::default()
        ));
        // The same face in a 1000 px photo is a background face.
        assert_eq!(
            kind(&f, 1000, 1000, &GateConfig::default()),
            FaceKind::Background
        );
        assert!(!is_full_face(&[f], 1000, 1000, &GateConfig::default()));
    }

    #[test]
    fn a_close_up_cut_by_the_frame_is_partial() {
        // Mouth corners 2 px from the bottom edge: the chin is out of the photo.
        let f = face([30.0, 30.0, 70.0, 80.0], FRONTAL);
        assert_eq!(kind(&f, 100, 67, &GateConfig::default()), FaceKind::Partial);
        // Eyes above the top edge (a nose-and-mouth close-up).
        let up = face([30.0, 0.0, 70.0, 40.0], FRONTAL.map(|[x, y]| [x, y - 50.0]));
        assert_eq!(
            kind(&up, 100, 100, &GateConfig::default()),
            FaceKind::Partial
        );
    }

    #[test]
    fn profile_is_not_frontal_and_so_partial() {
        let profile = [
            [40.0, 45.0],
            [48.0, 45.0],
            [35.0, 55.0],
            [40.0, 65.0],
            [46.0, 65.0],
        ];
        let f = face([30.0, 30.0, 70.0, 80.0], profile);
        assert!(!is_frontal(&f));
        assert_eq!(
            kind(&f, 100, 100, &GateConfig::default()),
            FaceKind::Partial
        );
    }

    #[test]
    fn eyes_beyond_the_frame_are_not_barred_and_the_judges_eyes_win() {
        let config = GateConfig::default();
        // A lips close-up: YuNet draws its eyes on the cheek skin, inside the photo …
        let mut f = face([0.0, 0.0, 100.0, 100.0], FRONTAL);
        assert!(eyes_in_frame(&f, 100, 100, config.eye_margin));
        // … CenterFace puts them above the top edge: no band.
        f.seen_eyes = Some([[40.0, -5.0], [60.0, -5.0]]);
        assert!(!eyes_in_frame(&f, 100, 100, config.eye_margin));
        // Right at the edge is not inside: the margin is a tenth of the eye distance (2 px).
        f.seen_eyes = Some([[40.0, 1.0], [60.0, 1.0]]);
        assert!(!eyes_in_frame(&f, 100, 100, config.eye_margin));
        // Where CenterFace sees eyes in the photo, the band is on them, not on YuNet's.
        f.seen_eyes = Some([[30.0, 20.0], [50.0, 20.0]]);
        assert!(eyes_in_frame(&f, 100, 100, config.eye_margin));
        let [x0, y0, x1, y1] = eye_band(&f, &config);
        assert!(x0 < 30.0 && x1 > 50.0 && y0 < 20.0 && y1 > 20.0);
        assert!(
            y1 < 45.0,
            "the band follows the seen eyes, not YuNet's at y = 45: {y1}"
        );
    }

    #[test]
    fn the_eye_band_covers_both_eyes_and_not_the_mouth() {
        let f = face([30.0, 30.0, 70.0, 80.0], FRONTAL);
        let [x0, y0, x1, y1] = eye_band(&f, &GateConfig::default());
        assert!(x0 < 40.0 && x1 > 60.0 && y0 < 45.0 && y1 > 45.0);
        assert!(y1 < 55.0, "the band stops above the nose tip: {y1}");
    }
}
