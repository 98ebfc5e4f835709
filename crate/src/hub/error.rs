//! What can go wrong at the hub, phrased for the person running it.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum HubError {
    #[error("This store was made with another hub key: pass the hub.key that created it")]
    WrongKey,
    #[error("A stored record or photo failed its integrity check ({0}): the store was changed outside hifu or the disk is damaged; run `hifu hub verify`")]
    Corrupt(&'static str),
    #[error("Line {line} of the pseudonym list is not a hifu pseudonym (64 hex characters): {why}")]
    BadPseudonymLine { line: usize, why: &'static str },
    #[error("The pseudonym list is empty: nothing to withdraw")]
    EmptyPseudonymList,
    #[error("Split fractions must be three whole percentages that add up to 100 (got {0})")]
    BadFractions(String),
    #[error("The image cannot be read ({0}); the bundle is refused")]
    Image(String),
}

impl HubError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            HubError::WrongKey => "hub.wrong_key",
            HubError::Corrupt(_) => "hub.corrupt",
            HubError::BadPseudonymLine { .. } => "hub.bad_pseudonym_line",
            HubError::EmptyPseudonymList => "hub.empty_pseudonym_list",
            HubError::BadFractions(_) => "hub.bad_fractions",
            HubError::Image(_) => "hub.image",
        }
    }
}
