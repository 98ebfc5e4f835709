//! Train / validation / test by patient: the split is a function of the patient's pseudonym
//! alone (through a keyed digest), so a patient's photos never straddle two splits and nobody
//! moves when new bundles arrive.

use super::{HubError, StoreKeys};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Validation,
    Test,
}

impl Split {
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        }
    }
}

/// Whole percentages for train / validation / test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitFractions {
    pub train: u8,
    pub validation: u8,
}

impl Default for SplitFractions {
    fn default() -> Self {
        SplitFractions {
            train: 80,
            validation: 10,
        }
    }
}

impl SplitFractions {
    /// Parses "80,10,10".
    pub fn parse(text: &str) -> Result<Self, HubError> {
        let bad = || HubError::BadFractions(text.to_owned());
        let parts: Vec<u8> = text
            .split(',')
            .map(|p| p.trim().parse::<u8>().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        match parts.as_slice() {
            [train, validation, test]
                if u16::from(*train) + u16::from(*validation) + u16::from(*test) == 100 =>
            {
                Ok(SplitFractions {
                    train: *train,
                    validation: *validation,
                })
            }
            _ => Err(bad()),
        }
    }

    /// The split of one patient. The keyed digest's first two bytes give a position in
    /// 0..10,000, so fractions land within 0.01 % of what was asked.
    pub fn split_of(&self, keys: &StoreKeys, pseudonym: &str) -> Split {
        let digest = keys.split_digest(pseudonym);
        let [high, low, ..] = digest;
        let position = u32::from(u16::from_be_bytes([high, low])) * 10_000 / 65_536;
        let train = u32::from(self.train) * 100;
        let validation = train + u32::from(self.validation) * 100;
        if position < train {
            Split::Train
        } else if position < validation {
            Split::Validation
        } else {
            Split::Test
        }
    }
}

/// An opaque patient id for an export (the same patient gets the same id in every export of
/// one store), so trainers can group by patient without seeing the site's pseudonym.
pub fn export_patient_id(keys: &StoreKeys, pseudonym: &str) -> String {
    let digest = keys.split_digest(pseudonym);
    crate::hex::hex_encode(digest.get(8..16).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::generate_hub_keypair;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn fractions_are_parsed_strictly() {
        assert_eq!(SplitFractions::parse("70, 15, 15").unwrap().train, 70);
        for bad in ["80,10", "80,10,11", "a,b,c", "80,10,10,0", "", "300,0,0"] {
            assert!(SplitFractions::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn patients_fall_into_splits_in_the_asked_proportions() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        let keys = StoreKeys::derive(&generate_hub_keypair(&mut rng), &[9; 16]);
        let fractions = SplitFractions::default();
        let mut counts = [0usize; 3];
        for i in 0..20_000 {
            let split = fractions.split_of(&keys, &format!("{i:064x}"));
            counts[split as usize] += 1;
        }
        assert!((15_600..=16_400).contains(&counts[0]), "{counts:?}");
        assert!((1_800..=2_200).contains(&counts[1]), "{counts:?}");
        assert!((1_800..=2_200).contains(&counts[2]), "{counts:?}");
    }
}
