//! Calendar dates as hospitals write them: 2024-03-05, 2024/3/5, 2024.3.5, 20240305,
//! 2024年3月5日, and Japanese era dates (令和6年3月5日, 令和元年5月1日, R6.3.5, H31/4/30).
//! A time of day after the date is ignored. Impossible dates are refused with the reason.

use super::text::to_half_width;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Validated constructor.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Date, String> {
        if !(1850..=2200).contains(&year) {
            return Err(format!("year {year} is out of range"));
        }
        if !(1..=12).contains(&month) {
            return Err(format!("month {month} does not exist"));
        }
        let last = days_in_month(year, month);
        if day == 0 || day > last {
            return Err(format!("{year}-{month:02} has no day {day}"));
        }
        Ok(Date { year, month, day })
    }

    /// Whole years from `self` (a birth date) to `later`.
    pub fn years_until(self, later: Date) -> Option<u16> {
        let mut years = later.year.checked_sub(self.year)?;
        if (later.month, later.day) < (self.month, self.day) {
            years = years.checked_sub(1)?;
        }
        Some(years)
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Japanese eras: names, Latin initials, first day (Gregorian).
const ERAS: [(&str, char, Date); 5] = [
    (
        "明治",
        'M',
        Date {
            year: 1868,
            month: 10,
            day: 23,
        },
    ),
    (
        "大正",
        'T',
        Date {
            year: 1912,
            month: 7,
            day: 30,
        },
    ),
    (
        "昭和",
        'S',
        Date {
            year: 1926,
            month: 12,
            day: 25,
        },
    ),
    (
        "平成",
        'H',
        Date {
            year: 1989,
            month: 1,
            day: 8,
        },
    ),
    (
        "令和",
        'R',
        Date {
            year: 2019,
            month: 5,
            day: 1,
        },
    ),
];

/// Parses one date; the error says what is wrong with it.
pub fn parse_date(input: &str) -> Result<Date, String> {
    let text = to_half_width(input.trim());
    let text = strip_time(&text);
    if text.is_empty() {
        return Err("the date is empty".into());
    }
    for (index, (name, initial, start)) in ERAS.iter().enumerate() {
        let rest = text
            .strip_prefix(name)
            .or_else(|| text.strip_prefix(*initial))
            .or_else(|| text.strip_prefix(initial.to_ascii_lowercase()));
        if let Some(rest) = rest {
            let rest = rest.replacen('元', "1", 1);
            let (era_year, month, day) = three_numbers(&rest)
                .ok_or_else(|| format!("{input:?} is not a date in a form hifu reads"))?;
            if era_year == 0 {
                return Err(format!("{input:?}: era year 0 does not exist"));
            }
            let year = u32::from(start.year) + era_year - 1;
            let date = Date::new(
                u16::try_from(year).map_err(|_| format!("{input:?}: year out of range"))?,
                u8::try_from(month).map_err(|_| format!("month {month} does not exist"))?,
                u8::try_from(day).map_err(|_| format!("day {day} does not exist"))?,
            )?;
            let next_start = ERAS.get(index + 1).map(|(_, _, d)| *d);
            if date < *start || next_start.is_some_and(|next| date >= next) {
                return Err(format!("{input:?} is outside the {name} era"));
            }
            return Ok(date);
        }
    }
    let (year, month, day) = if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        let num = |r: std::ops::Range<usize>| text.get(r).and_then(|s| s.parse::<u32>().ok());
        (num(0..4), num(4..6), num(6..8))
    } else {
        match three_numbers(text) {
            Some((y, m, d)) if y >= 1000 => (Some(y), Some(m), Some(d)),
            _ => (None, None, None),
        }
    };
    let (Some(year), Some(month), Some(day)) = (year, month, day) else {
        return Err(format!(
            "{input:?} is not a date in a form hifu reads (use 2024-03-05)"
        ));
    };
    Date::new(
        u16::try_from(year).map_err(|_| format!("year {year} is out of range"))?,
        u8::try_from(month).map_err(|_| format!("month {month} does not exist"))?,
        u8::try_from(day).map_err(|_| format!("day {day} does not exist"))?,
    )
}

/// Drops a time of day: "2024/03/05 10:32", "2024-03-05T10:32:00".
fn strip_time(text: &str) -> &str {
    let space = text.find(' ');
    // A 'T' is a time separator only after a digit; at the start it is the Taishō initial.
    let t = text
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c == 'T')
        .map(|(i, _)| i);
    let cut = space.into_iter().chain(t).min().unwrap_or(text.len());
    text.get(..cut).unwrap_or(text)
}

/// Exactly three numbers separated by `-`, `/`, `.` or 年/月(/日 at the end).
fn three_numbers(text: &str) -> Option<(u32, u32, u32)> {
    let trimmed = text.strip_suffix('日').unwrap_or(text);
    let parts: Vec<&str> = trimmed.split(['-', '/', '.', '年', '月']).collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    let parse = |s: &str| {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    Some((parse(y)?, parse(m)?, parse(d)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: u16, m: u8, day: u8) -> Date {
        Date {
            year: y,
            month: m,
            day,
        }
    }

    #[test]
    fn accepts_the_usual_forms() {
        for text in [
            "2024-03-05",
            "2024/3/5",
            "2024.03.05",
            "20240305",
            "2024年3月5日",
            "令和6年3月5日",
            "R6.3.5",
            "r06/03/05",
            "令和6年3月5日 10時",
            "２０２４／０３／０５",
            "2024/03/05 10:32",
            "2024-03-05T10:32:00",
        ] {
            assert_eq!(parse_date(text), Ok(d(2024, 3, 5)), "{text}");
        }
        assert_eq!(parse_date("令和元年5月1日"), Ok(d(2019, 5, 1)));
        assert_eq!(parse_date("平成31年4月30日"), Ok(d(2019, 4, 30)));
        assert_eq!(parse_date("昭和20年8月15日"), Ok(d(1945, 8, 15)));
        assert_eq!(parse_date("2024/2/29"), Ok(d(2024, 2, 29)));
        assert_eq!(parse_date("T10.5.3"), Ok(d(1921, 5, 3)));
    }

    #[test]
    fn refuses_impossible_dates_with_a_reason() {
        assert_eq!(
            parse_date("2024-02-30").unwrap_err(),
            "2024-02 has no day 30"
        );
        assert!(parse_date("2023-02-29").unwrap_err().contains("no day 29"));
        assert!(parse_date("2024-13-01").unwrap_err().contains("month 13"));
        assert!(parse_date("平成31年5月1日")
            .unwrap_err()
            .contains("outside the 平成 era"));
        assert!(parse_date("令和0年5月1日").is_err());
        assert!(parse_date("yesterday").is_err());
        assert!(parse_date("3/5").is_err());
    }

    #[test]
    fn age_in_whole_years() {
        assert_eq!(d(1980, 3, 6).years_until(d(2024, 3, 5)), Some(43));
        assert_eq!(d(1980, 3, 5).years_until(d(2024, 3, 5)), Some(44));
        assert_eq!(d(2025, 1, 1).years_until(d(2024, 3, 5)), None);
    }
}
