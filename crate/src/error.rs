//! The one error type callers see. Each module has its own error enum that says who is at
//! fault (the file, the operator's input, the configuration, or hifu itself) and what to do.

/// Every way a hifu operation can fail. `Display` is a message a clinician can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Decode(#[from] crate::decode::DecodeError),
    #[error(transparent)]
    Container(#[from] crate::container::ContainerError),
    #[error(transparent)]
    Encode(#[from] crate::encode::EncodeError),
    #[error(transparent)]
    Face(#[from] crate::face::FaceError),
    #[error(transparent)]
    Skin(#[from] crate::skin::SkinError),
    #[error(transparent)]
    Text(#[from] crate::text::TextError),
    #[error(transparent)]
    Record(#[from] crate::record::RecordError),
    #[error(transparent)]
    Seal(#[from] crate::seal::SealError),
}

impl Error {
    /// A stable machine-readable code (`"decode.truncated"`, …) for reports and the JS API.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Decode(e) => e.code(),
            Error::Container(e) => e.code(),
            Error::Encode(e) => e.code(),
            Error::Face(e) => e.code(),
            Error::Skin(e) => e.code(),
            Error::Text(e) => e.code(),
            Error::Record(e) => e.code(),
            Error::Seal(e) => e.code(),
        }
    }
}
