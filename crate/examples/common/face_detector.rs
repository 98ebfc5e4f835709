//! The shipped face detector, from the converted weights in models/face/ (run from the
//! repository root; scripts/convert-yunet and scripts/convert-centerface make them).
use hifu::face::{Detector, FaceWeights};

pub fn shipped() -> Result<Detector, Box<dyn std::error::Error>> {
    let yunet = std::fs::read("models/face/yunet_n.safetensors")?;
    let centerface = std::fs::read("models/face/centerface.safetensors")?;
    Ok(Detector::from_safetensors(FaceWeights {
        yunet: &yunet,
        centerface: &centerface,
    })?)
}
