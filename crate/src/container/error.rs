//! Errors of the container step: the file's structure is damaged or not supported.

/// Why a file's container could not be read or rewritten. Every variant is the file's fault
/// except [`ContainerError::WrongFormat`], which is a caller bug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContainerError {
    #[error("The file ends early (truncated {format}): copy or export it again from the original")]
    Truncated { format: &'static str },

    #[error(
        "The {format} file has a damaged {part}: re-export it from the camera or editing software"
    )]
    MalformedSegment {
        format: &'static str,
        part: &'static str,
    },

    #[error(
        "The photo's EXIF block is damaged ({detail}): re-export the photo from the camera or \
         editing software"
    )]
    MalformedExif { detail: String },

    #[error(
        "The photo's embedded colour profile (ICC) is damaged: re-export the photo, or convert \
         it to sRGB first"
    )]
    MalformedIcc,

    #[error("{what} is not supported yet: {advice}")]
    Unsupported {
        what: &'static str,
        advice: &'static str,
    },

    #[error("hifu asked for a JPEG rewrite of a {found} file (a bug in hifu: please report it)")]
    WrongFormat { found: &'static str },
}

impl ContainerError {
    /// A stable machine-readable code for reports and the JS API.
    pub fn code(&self) -> &'static str {
        match self {
            ContainerError::Truncated { .. } => "container.truncated",
            ContainerError::MalformedSegment { .. } => "container.malformed_segment",
            ContainerError::MalformedExif { .. } => "container.malformed_exif",
            ContainerError::MalformedIcc => "container.malformed_icc",
            ContainerError::Unsupported { .. } => "container.unsupported",
            ContainerError::WrongFormat { .. } => "container.wrong_format",
        }
    }

    pub(crate) fn truncated(format: &'static str) -> Self {
        ContainerError::Truncated { format }
    }

    pub(crate) fn malformed(format: &'static str, part: &'static str) -> Self {
        ContainerError::MalformedSegment { format, part }
    }
}
