//! Free-text redaction for diagnosis and lesion-site fields: anything that looks like an ID
//! number, a phone number, a date, or the patient's own name (from the same row) becomes the
//! policy's marker. It errs on the side of removing too much: a lost "3/4" is cheap, a leaked
//! date of surgery is not.

use super::text::to_half_width;
use std::ops::Range;

const ERA_NAMES: [&str; 5] = ["明治", "大正", "昭和", "平成", "令和"];

/// Returns `text` with every sensitive span replaced by `marker`. `names` are the row's name
/// fields (full names; their parts are matched too).
pub fn redact_free_text(text: &str, names: &[&str], marker: &str) -> String {
    // Detect on a half-width copy ("１２３" is a number too), cut the original: the mapping is
    // one char to one char, so spans carry over by char index.
    let normalized = to_half_width(text);
    let mut spans = Vec::new();
    name_spans(&normalized, names, &mut spans);
    id_token_spans(&normalized, &mut spans);
    number_run_spans(&normalized, &mut spans);
    let normalized_offsets = char_offsets(&normalized);
    let original_offsets = char_offsets(text);
    let to_original = |byte: usize| {
        normalized_offsets
            .binary_search(&byte)
            .ok()
            .and_then(|char_index| original_offsets.get(char_index).copied())
    };
    let spans = spans
        .into_iter()
        .filter_map(|span| Some(to_original(span.start)?..to_original(span.end)?))
        .collect();
    replace_spans(text, spans, marker)
}

/// Byte offset of every char, plus the end.
fn char_offsets(text: &str) -> Vec<usize> {
    text.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect()
}

fn replace_spans(text: &str, mut spans: Vec<Range<usize>>, marker: &str) -> String {
    spans.sort_by_key(|r| (r.start, r.end));
    let mut out = String::with_capacity(text.len());
    let mut pos = 0usize;
    for span in spans {
        if span.end <= pos {
            continue;
        }
        let start = span.start.max(pos);
        if start > pos {
            out.push_str(text.get(pos..start).unwrap_or_default());
            out.push_str(marker);
        } else if pos == 0 || !out.ends_with(marker) {
            out.push_str(marker);
        }
        pos = span.end;
    }
    out.push_str(text.get(pos..).unwrap_or_default());
    out
}

/// The full name (with and without inner spaces) and each of its parts. ASCII parts must stand
/// as words and be at least 2 letters; Japanese parts match anywhere (no spaces in Japanese).
fn name_spans(text: &str, names: &[&str], spans: &mut Vec<Range<usize>>) {
    let lower = text.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII; fall back to exact matching then.
    let haystack = if lower.len() == text.len() {
        lower.as_str()
    } else {
        text
    };
    for name in names {
        let name = to_half_width(name).to_lowercase();
        let mut needles: Vec<String> = name.split_whitespace().map(str::to_owned).collect();
        needles.push(name.split_whitespace().collect::<Vec<_>>().join(" "));
        needles.push(name.split_whitespace().collect::<String>());
        for needle in needles {
            let ascii = needle.is_ascii();
            if needle.is_empty() || (ascii && needle.chars().count() < 2) {
                continue;
            }
            for (start, found) in haystack.match_indices(needle.as_str()) {
                let end = start + found.len();
                let before = haystack.get(..start).and_then(|s| s.chars().next_back());
                let after = haystack.get(end..).and_then(|s| s.chars().next());
                let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
                if !ascii || (!is_word(before) && !is_word(after)) {
                    spans.push(start..end);
                }
            }
        }
    }
}

/// Letter-and-digit tokens with four or more digits in a row: "P12345", "ID-0042311".
fn id_token_spans(text: &str, spans: &mut Vec<Range<usize>>) {
    let is_token = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (start, is_token(c)) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                let token = text.get(s..i).unwrap_or_default();
                if longest_digit_run(token) >= 4 && token.chars().any(|c| c.is_ascii_alphabetic()) {
                    spans.push(s..i);
                }
                start = None;
            }
            _ => {}
        }
    }
}

fn longest_digit_run(token: &str) -> usize {
    token
        .split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// Runs of digits joined by date and phone punctuation, then judged as a whole.
fn number_run_spans(text: &str, spans: &mut Vec<Range<usize>>) {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let joiner = |c: char| {
        matches!(
            c,
            '-' | '/' | '.' | ':' | '(' | ')' | '+' | ' ' | '年' | '月' | '日'
        )
    };
    let mut i = 0usize;
    while let Some(&(start, c)) = chars.get(i) {
        if !c.is_ascii_digit() && c != '元' {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut last_digit = i;
        while let Some(&(_, c)) = chars.get(j) {
            if c.is_ascii_digit() || c == '元' {
                last_digit = j;
            } else if !joiner(c) {
                break;
            }
            j += 1;
        }
        // The run ends at its last digit, plus a closing 年/月/日 if there is one.
        let mut end_index = last_digit + 1;
        if let Some(&(_, c)) = chars.get(end_index) {
            if matches!(c, '年' | '月' | '日') {
                end_index += 1;
            }
        }
        let end = chars.get(end_index).map_or(text.len(), |&(b, _)| b);
        let run = text.get(start..end).unwrap_or_default();
        if is_sensitive_run(run) {
            spans.push(with_era_prefix(text, start)..end);
        }
        i = end_index.max(i + 1);
    }
}

fn is_sensitive_run(run: &str) -> bool {
    let digits = run.chars().filter(char::is_ascii_digit).count();
    let groups: Vec<&str> = run
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let has_kanji_date = run.contains(['年', '月', '日']);
    let slash_pair = run.contains('/') && groups.len() >= 2;
    let year_month = groups.len() >= 2
        && groups.first().is_some_and(|g| g.len() == 4)
        && run.contains(['-', '/', '.']);
    digits >= 5 || has_kanji_date || slash_pair || year_month || groups.len() >= 3
}

/// Includes an era name ("令和") or initial ("R6.3.5") right before a date.
fn with_era_prefix(text: &str, start: usize) -> usize {
    let before = text.get(..start).unwrap_or_default();
    for era in ERA_NAMES {
        if before.ends_with(era) {
            return start - era.len();
        }
    }
    let mut back = before.chars().rev();
    match (back.next(), back.next()) {
        (Some(c), prev)
            if "MTSHRmtshr".contains(c) && !prev.is_some_and(|p| p.is_alphanumeric()) =>
        {
            start - 1
        }
        _ => start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "[redacted]";

    #[test]
    fn ids_phones_and_dates_go() {
        assert_eq!(
            redact_free_text("BCC, see P123456", &[], M),
            "BCC, see [redacted]"
        );
        assert_eq!(
            redact_free_text("tel 03-1234-5678 ok", &[], M),
            "tel [redacted] ok"
        );
        assert_eq!(
            redact_free_text("excised 2024/3/5.", &[], M),
            "excised [redacted]."
        );
        assert_eq!(
            redact_free_text("令和6年3月5日切除", &[], M),
            "[redacted]切除"
        );
        assert_eq!(
            redact_free_text("R6.3.5 biopsy", &[], M),
            "[redacted] biopsy"
        );
        assert_eq!(redact_free_text("3月5日再診", &[], M), "[redacted]再診");
        assert_eq!(redact_free_text("seen 2023-11", &[], M), "seen [redacted]");
        assert_eq!(redact_free_text("ＩＤ１２３４５６", &[], M), "[redacted]");
        assert_eq!(
            redact_free_text("（ＩＤ１２３４５６）", &[], M),
            "（[redacted]）"
        );
    }

    #[test]
    fn clinical_text_stays() {
        for text in [
            "悪性黒色腫 C43.9",
            "pT1aN0M0",
            "1.5 cm, 2-3 mm",
            "ICD-10 L40.0",
            "右前腕",
        ] {
            assert_eq!(redact_free_text(text, &[], M), text);
        }
    }

    #[test]
    fn the_rows_own_name_goes() {
        assert_eq!(
            redact_free_text("山田太郎様の右頬", &["山田 太郎"], M),
            "[redacted]様の右頬"
        );
        assert_eq!(
            redact_free_text("太郎さん", &["山田 太郎"], M),
            "[redacted]さん"
        );
        assert_eq!(
            redact_free_text("Mr YAMADA, annular", &["Yamada Ann"], M),
            "Mr [redacted], annular"
        );
    }
}
