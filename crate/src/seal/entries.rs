//! The plaintext inside the seal: a stream of named entries,
//! each `name_len u16 | name (UTF-8) | data_len u64 | data`, big-endian.

use super::SealError;
use std::collections::VecDeque;
use zeroize::Zeroizing;

/// Entry names are short and tame so that they are safe as file names at the hub.
pub const MAX_ENTRY_NAME_LEN: usize = 200;

/// One entry as it comes out of an opened bundle. The data is wiped when dropped.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub data: Zeroizing<Vec<u8>>,
}

/// Accepts `manifest.json`-like names and `images/<name>`: letters, digits, `.`, `_`, `-`;
/// no leading dot, so no `..`, no hidden files, no absolute paths.
pub fn check_entry_name(name: &str) -> Result<(), SealError> {
    let base = name.strip_prefix("images/").unwrap_or(name);
    let tame = !base.is_empty()
        && name.len() <= MAX_ENTRY_NAME_LEN
        && !base.starts_with('.')
        && base
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if tame {
        Ok(())
    } else {
        Err(SealError::BadEntryName(
            name.chars().take(MAX_ENTRY_NAME_LEN).collect(),
        ))
    }
}

/// The framing that precedes an entry's data.
pub fn entry_header(name: &str, len: u64) -> Result<Vec<u8>, SealError> {
    check_entry_name(name)?;
    let name_len = u16::try_from(name.len()).map_err(|_| SealError::BadEntryName(name.into()))?;
    let mut out = Vec::with_capacity(name.len() + 10);
    out.extend_from_slice(&name_len.to_be_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    Ok(out)
}

enum State {
    NameLen,
    Name(usize),
    DataLen,
    Data { remaining: u64 },
}

/// Turns decrypted plaintext, in pieces of any size, back into entries.
pub struct EntryParser {
    state: State,
    /// Bytes of a length or name field that straddles two pieces.
    field: Vec<u8>,
    name: String,
    data: Zeroizing<Vec<u8>>,
    max_entry_bytes: u64,
    ready: VecDeque<Entry>,
}

impl EntryParser {
    pub fn new(max_entry_bytes: u64) -> Self {
        EntryParser {
            state: State::NameLen,
            field: Vec::new(),
            name: String::new(),
            data: Zeroizing::new(Vec::new()),
            max_entry_bytes,
            ready: VecDeque::new(),
        }
    }

    pub fn next_entry(&mut self) -> Option<Entry> {
        self.ready.pop_front()
    }

    /// True when the stream ended between two entries.
    pub fn at_boundary(&self) -> bool {
        matches!(self.state, State::NameLen) && self.field.is_empty()
    }

    pub fn push(&mut self, mut bytes: &[u8]) -> Result<(), SealError> {
        while !bytes.is_empty() {
            match self.state {
                State::NameLen => {
                    if let Some(field) = self.fill_field(&mut bytes, 2) {
                        let len = <[u8; 2]>::try_from(field.as_slice())
                            .map(|b| usize::from(u16::from_be_bytes(b)))
                            .unwrap_or(0);
                        if len == 0 || len > MAX_ENTRY_NAME_LEN {
                            return Err(SealError::BadContent("an entry name has a bad length"));
                        }
                        self.state = State::Name(len);
                    }
                }
                State::Name(len) => {
                    if let Some(field) = self.fill_field(&mut bytes, len) {
                        let name = String::from_utf8(field)
                            .map_err(|_| SealError::BadContent("an entry name is not UTF-8"))?;
                        check_entry_name(&name)?;
                        self.name = name;
                        self.state = State::DataLen;
                    }
                }
                State::DataLen => {
                    if let Some(field) = self.fill_field(&mut bytes, 8) {
                        let len = <[u8; 8]>::try_from(field.as_slice())
                            .map(u64::from_be_bytes)
                            .map_err(|_| SealError::BadContent("an entry length is cut short"))?;
                        if len > self.max_entry_bytes {
                            return Err(SealError::EntryTooLarge(std::mem::take(&mut self.name)));
                        }
                        self.state = State::Data { remaining: len };
                        if len == 0 {
                            self.complete_entry();
                        }
                    }
                }
                State::Data { remaining } => {
                    let take = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    let (head, tail) = bytes.split_at(take);
                    self.data.extend_from_slice(head);
                    bytes = tail;
                    let left = remaining.saturating_sub(take as u64);
                    self.state = State::Data { remaining: left };
                    if left == 0 {
                        self.complete_entry();
                    }
                }
            }
        }
        Ok(())
    }

    /// Collects `len` bytes of a field across pieces; returns them once complete.
    fn fill_field(&mut self, bytes: &mut &[u8], len: usize) -> Option<Vec<u8>> {
        let need = len.saturating_sub(self.field.len());
        let take = need.min(bytes.len());
        let (head, tail) = bytes.split_at(take);
        self.field.extend_from_slice(head);
        *bytes = tail;
        if self.field.len() == len {
            Some(std::mem::take(&mut self.field))
        } else {
            None
        }
    }

    fn complete_entry(&mut self) {
        let entry = Entry {
            name: std::mem::take(&mut self.name),
            data: std::mem::replace(&mut self.data, Zeroizing::new(Vec::new())),
        };
        self.ready.push_back(entry);
        self.state = State::NameLen;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_escape_a_folder_are_refused() {
        for bad in [
            "",
            "../x",
            "images/../x",
            ".hidden",
            "a/b",
            "images/",
            "/etc/passwd",
            "a b",
        ] {
            assert!(check_entry_name(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["manifest.json", "images/00001.jpg", "images/a-b_c.png"] {
            check_entry_name(good).unwrap();
        }
    }

    #[test]
    fn parser_reassembles_entries_split_at_every_byte() {
        let mut stream = entry_header("a.txt", 3).unwrap();
        stream.extend_from_slice(b"xyz");
        stream.extend(entry_header("images/empty.png", 0).unwrap());
        let mut parser = EntryParser::new(1 << 20);
        for byte in &stream {
            parser.push(std::slice::from_ref(byte)).unwrap();
        }
        assert!(parser.at_boundary());
        let first = parser.next_entry().unwrap();
        assert_eq!(
            (first.name.as_str(), first.data.as_slice()),
            ("a.txt", &b"xyz"[..])
        );
        let second = parser.next_entry().unwrap();
        assert_eq!(
            (second.name.as_str(), second.data.len()),
            ("images/empty.png", 0)
        );
        assert!(parser.next_entry().is_none());
    }

    #[test]
    fn parser_refuses_entries_over_the_limit() {
        let stream = entry_header("big.bin", 1000).unwrap();
        let mut parser = EntryParser::new(999);
        assert_eq!(
            parser.push(&stream).unwrap_err().code(),
            "seal.entry_too_large"
        );
    }
}
