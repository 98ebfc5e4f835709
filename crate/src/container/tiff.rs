//! TIFF: the file is itself a TIFF structure, so the inventory comes from its IFD tags.

use super::{exif, ContainerError, Parsed};

pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, ContainerError> {
    let facts = exif::classify_tiff_file(bytes)?;
    Ok(Parsed {
        inventory: facts.categories.into(),
        orientation: facts.orientation,
        icc_profile: facts.icc_profile,
        jpeg_frame: None,
    })
}
