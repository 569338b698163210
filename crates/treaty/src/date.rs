//! Calendar dates as the treaty uses them: whole days in GMT, written `YYYY-MM-DD`.
//!
//! Invariant: a [`Date`] is always a real calendar date; parsing refuses `2011-02-30`,
//! `2011-2-5` and anything that is not exactly ten characters of `YYYY-MM-DD`.

pub use time::Date;
use time::Month;

/// Why a text is not a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The text is not of the form `YYYY-MM-DD`.
    #[error("'{0}' is not a date of the form YYYY-MM-DD")]
    Format(String),
    /// The form is right but no such day exists.
    #[error("'{0}' is not a real calendar date")]
    NoSuchDay(String),
}

/// Parses exactly `YYYY-MM-DD` into a real calendar date.
pub fn parse_date(s: &str) -> Result<Date, DateError> {
    let b = s.as_bytes();
    let digit = |i: usize| -> Option<u32> {
        let c = *b.get(i)?;
        c.is_ascii_digit().then(|| u32::from(c - b'0'))
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(DateError::Format(s.to_owned()));
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> { r.into_iter().try_fold(0u32, |acc, i| Some(acc * 10 + digit(i)?)) };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return Err(DateError::Format(s.to_owned()));
    };
    let month = u8::try_from(m)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(|| DateError::NoSuchDay(s.to_owned()))?;
    let year = i32::try_from(y).map_err(|_| DateError::Format(s.to_owned()))?;
    let day = u8::try_from(d).map_err(|_| DateError::NoSuchDay(s.to_owned()))?;
    Date::from_calendar_date(year, month, day).map_err(|_| DateError::NoSuchDay(s.to_owned()))
}

/// Converts a TOML date (a `date` literal without time) into a [`Date`].
pub fn from_toml(d: &toml::value::Datetime) -> Option<Date> {
    if d.time.is_some() || d.offset.is_some() {
        return None;
    }
    let td = d.date?;
    let month = Month::try_from(td.month).ok()?;
    Date::from_calendar_date(i32::from(td.year), month, td.day).ok()
}

/// Adds whole calendar months; a day that does not exist in the target month becomes the
/// month's last day (31 March + 1 month = 30 April).
pub fn add_months(d: Date, months: i32) -> Date {
    let total = d.year() * 12 + (d.month() as i32 - 1) + months;
    let year = total.div_euclid(12);
    let month_index = total.rem_euclid(12) + 1;
    let month = Month::try_from(month_index as u8).unwrap_or(Month::January);
    let last = month.length(year);
    let day = d.day().min(last);
    Date::from_calendar_date(year, month, day).unwrap_or(d)
}

/// Adds whole calendar years (29 February + 1 year = 28 February).
pub fn add_years(d: Date, years: i32) -> Date {
    add_months(d, years * 12)
}

/// Adds (or with a negative number subtracts) whole days.
pub fn add_days(d: Date, days: i64) -> Date {
    d.checked_add(time::Duration::days(days)).unwrap_or(d)
}

/// The first day of the month after `d`'s month.
pub fn first_of_next_month(d: Date) -> Date {
    let next = add_months(d, 1);
    next.replace_day(1).unwrap_or(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_dates_only() {
        assert_eq!(parse_date("2011-02-05").map(|d| d.to_string()), Ok("2011-02-05".into()));
        assert!(matches!(parse_date("2011-02-30"), Err(DateError::NoSuchDay(_))));
        assert!(matches!(parse_date("2011-13-01"), Err(DateError::NoSuchDay(_))));
        assert!(matches!(parse_date("2011-2-05"), Err(DateError::Format(_))));
        assert!(matches!(parse_date("2011-02-05T00"), Err(DateError::Format(_))));
        assert!(matches!(parse_date("20x1-02-05"), Err(DateError::Format(_))));
        assert!(parse_date("2012-02-29").is_ok());
        assert!(parse_date("2013-02-29").is_err());
    }

    #[test]
    fn month_and_year_arithmetic_clamps() {
        let d = parse_date("2011-02-05").unwrap();
        assert_eq!(add_years(d, 7).to_string(), "2018-02-05");
        assert_eq!(add_years(d, 15).to_string(), "2026-02-05");
        assert_eq!(first_of_next_month(d).to_string(), "2011-03-01");
        assert_eq!(add_months(parse_date("2011-03-31").unwrap(), 1).to_string(), "2011-04-30");
        assert_eq!(add_years(parse_date("2012-02-29").unwrap(), 1).to_string(), "2013-02-28");
        assert_eq!(add_days(d, 45).to_string(), "2011-03-22");
        assert_eq!(add_days(d, 60).to_string(), "2011-04-06");
    }
}
