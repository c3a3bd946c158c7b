//! The dates the local Lambda writes and reads: SigV4's `X-Amz-Date`, RFC 3339 timestamps in
//! dead-letter records, and the `YYYY/MM/DD` of log stream names. The calendar is the `time`
//! crate's (already in the tree through `aws-sigv4`); only the formats are ours.

use std::time::SystemTime;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// `YYYYMMDDTHHMMSSZ` (UTC), the form of `X-Amz-Date` and of SigV4's error messages.
pub(crate) fn amz_date(at: SystemTime) -> String {
    let t = OffsetDateTime::from(at);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Reads `YYYYMMDDTHHMMSSZ`; `None` unless the text is exactly that form and a real instant.
pub(crate) fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' || !text.is_ascii() {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = &text[r];
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let date = Date::from_calendar_date(
        i32::try_from(digits(0..4)?).ok()?,
        Month::try_from(u8::try_from(digits(4..6)?).ok()?).ok()?,
        u8::try_from(digits(6..8)?).ok()?,
    )
    .ok()?;
    let clock = Time::from_hms(
        u8::try_from(digits(9..11)?).ok()?,
        u8::try_from(digits(11..13)?).ok()?,
        u8::try_from(digits(13..15)?).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, clock).assume_utc().into())
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC), as Lambda's destination records and JSON logs write time.
pub(crate) fn rfc3339_millis(at: SystemTime) -> String {
    let t = OffsetDateTime::from(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// `YYYY/MM/DD` (UTC), the date part of a log stream name.
pub(crate) fn log_stream_date(at: SystemTime) -> String {
    let t = OffsetDateTime::from(at);
    format!("{:04}/{:02}/{:02}", t.year(), u8::from(t.month()), t.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn amz_dates_round_trip() {
        let t = parse_amz_date("20260115T101500Z").unwrap();
        assert_eq!(t, UNIX_EPOCH + Duration::from_secs(1_768_472_100));
        assert_eq!(amz_date(t), "20260115T101500Z");
    }

    #[test]
    fn malformed_amz_dates_are_refused() {
        for bad in [
            "2026-01-15",
            "20260115T101500",
            "20261315T101500Z",
            "20260230T101500Z",
            "20260115T246000Z",
            "2026011+T101500Z",
            "20260115X101500Z",
            "２0260115T10150Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats() {
        let t = UNIX_EPOCH + Duration::from_millis(1_763_805_600_042);
        assert_eq!(rfc3339_millis(t), "2025-11-22T10:00:00.042Z");
        assert_eq!(log_stream_date(t), "2025/11/22");
        assert_eq!(log_stream_date(UNIX_EPOCH), "1970/01/01");
    }
}
