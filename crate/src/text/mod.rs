//! Burned-in text: labels, rulers, dates, names and logos written into the pixels. A DBNet
//! (PP-OCRv4's mobile detector, [`ppocr`]) marks text pixels, [`regions`] turns them into boxes,
//! [`lines`] keeps those shaped like lines of text (the detector also marks lesions), and
//! [`TextStep`] fills the boxes like faces and flags the photo `text` for a reviewer.

pub mod error;
pub mod lines;
mod neck;
pub mod ppocr;
pub mod regions;
pub mod step;

pub use error::TextError;
pub use lines::{text_lines, LineShape};
pub use ppocr::{PpOcrDet, PpOcrDetConfig};
pub use regions::{text_boxes, RegionParams, TextBox};
pub use step::{TextStep, TEXT};
