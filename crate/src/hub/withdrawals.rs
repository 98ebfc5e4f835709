//! The late opt-out list a site sends to the hub: one pseudonym per line, exactly as the site's
//! bundles carry them (64 lower- or upper-case hex characters). Blank lines and lines starting
//! with `#` are skipped; any other line that is not a pseudonym rejects the whole list, because
//! a silently skipped line would be a patient left in the dataset against their wish.

use super::HubError;
use std::collections::BTreeSet;

pub fn parse_pseudonym_list(text: &str) -> Result<BTreeSet<String>, HubError> {
    let mut out = BTreeSet::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let why = if line.len() != 64 {
            Some("it is not 64 characters long")
        } else if !line.bytes().all(|b| b.is_ascii_hexdigit()) {
            Some("it holds characters other than 0-9 and a-f")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(HubError::BadPseudonymLine {
                line: index + 1,
                why,
            });
        }
        out.insert(line.to_ascii_lowercase());
    }
    if out.is_empty() {
        return Err(HubError::EmptyPseudonymList);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_blank_lines_case_and_duplicates_are_accepted() {
        let a = "ab".repeat(32);
        let text = format!("\u{feff}# withdrawn 2026-11\n\n{}\r\n{a}\n", a.to_uppercase());
        let set = parse_pseudonym_list(&text).unwrap();
        assert_eq!(set.len(), 1);
        assert!(set.contains(&a));
    }

    #[test]
    fn one_bad_line_rejects_the_list_and_names_the_line() {
        let a = "ab".repeat(32);
        let err = parse_pseudonym_list(&format!("{a}\nPATIENT-0042\n")).unwrap_err();
        assert_eq!(err, HubError::BadPseudonymLine { line: 2, why: "it is not 64 characters long" });
        let err = parse_pseudonym_list(&format!("{a}\n{}\n", "zz".repeat(32))).unwrap_err();
        assert_eq!(err.code(), "hub.bad_pseudonym_line");
        assert_eq!(parse_pseudonym_list("# nothing\n"), Err(HubError::EmptyPseudonymList));
    }
}
