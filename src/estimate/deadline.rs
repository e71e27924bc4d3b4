//! `--deadline`: a duration from now (`20m`, `1h30m`) or a wall-clock time in
//! the local time zone (`12:30`, `"2026-12-01 09:00"`), resolved against one
//! "now" so the report can say both "in 20m" and "by 12:30".

use anyhow::{anyhow, bail, Result};
use jiff::civil::{DateTime, Time};
use jiff::ZonedDateTime;

/// A resolved deadline.
#[derive(Debug, Clone)]
pub struct Deadline {
    /// Seconds from `now` to the deadline (more than 0).
    pub seconds: f64,
    /// When the estimate was made (local time zone).
    pub now: ZonedDateTime,
}

impl Deadline {
    /// `text` against the current local time.
    pub fn parse(text: &str) -> Result<Deadline> {
        Deadline::parse_at(text, ZonedDateTime::now())
    }

    /// `text` against `now`: a duration, `HH:MM[:SS]` today, or
    /// `YYYY-MM-DD HH:MM[:SS]`; a time already past is an error.
    pub fn parse_at(text: &str, now: ZonedDateTime) -> Result<Deadline> {
        let text = text.trim();
        if let Ok(seconds) = crate::units::parse_duration(text) {
            if seconds <= 0.0 {
                bail!("--deadline {text}: must be more than 0");
            }
            return Ok(Deadline { seconds, now });
        }
        // Date and time first: jiff's Time parser also takes a full
        // date-time and keeps only its time.
        let target = if let Ok(datetime) = text.parse::<DateTime>() {
            datetime
        } else if let Ok(time) = text.parse::<Time>() {
            now.date().to_datetime(time)
        } else {
            bail!(
                "--deadline {text:?}: give a duration (20m, 1h30m), a time today (12:30) \
                 or a date and time (\"2026-12-01 09:00\"), local time"
            );
        };
        let zoned = target
            .to_zoned_datetime(now.time_zone().clone())
            .map_err(|e| anyhow!("--deadline {text:?}: {e}"))?;
        let seconds = zoned.duration_since(&now).as_secs_f64();
        if seconds <= 0.0 {
            bail!(
                "--deadline {text}: that time has already passed (it is now {}); give a later time, \
                 a date (\"{} 09:00\") or a duration (20m)",
                now.strftime("%Y-%m-%d %H:%M"),
                now.date().tomorrow().map_or(now.date(), |d| d)
            );
        }
        Ok(Deadline { seconds, now })
    }

    /// The wall-clock time `seconds` after now, for people: `12:30`, or
    /// with the date when it is not today.
    pub fn clock(&self, seconds: f64) -> String {
        let span = jiff::SignedDuration::from_secs_f64(seconds.clamp(0.0, 1e10));
        match self.now.checked_add(span) {
            Ok(at) if at.date() == self.now.date() => at.strftime("%H:%M").to_string(),
            Ok(at) => at.strftime("%Y-%m-%d %H:%M").to_string(),
            Err(_) => crate::units::format_duration(seconds),
        }
    }

    /// The deadline itself as a wall-clock time.
    pub fn at(&self) -> String {
        self.clock(self.seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noon() -> ZonedDateTime {
        "2026-11-30T12:00:00+00:00[UTC]".parse().unwrap()
    }

    #[test]
    fn durations_count_from_now() {
        let d = Deadline::parse_at("20m", noon()).unwrap();
        assert_eq!(d.seconds, 1200.0);
        assert_eq!(d.at(), "12:20");
    }

    #[test]
    fn clock_times_are_today_in_the_local_zone() {
        let d = Deadline::parse_at("12:30", noon()).unwrap();
        assert_eq!(d.seconds, 1800.0);
        assert_eq!(d.at(), "12:30");
        let d = Deadline::parse_at("13:15:30", noon()).unwrap();
        assert_eq!(d.seconds, 4530.0);
        let berlin: ZonedDateTime = "2026-11-30T12:00:00+01:00[Europe/Berlin]".parse().unwrap();
        assert_eq!(Deadline::parse_at("12:30", berlin).unwrap().seconds, 1800.0);
    }

    #[test]
    fn dates_with_times() {
        let d = Deadline::parse_at("2026-12-01 09:00", noon()).unwrap();
        assert_eq!(d.seconds, 21.0 * 3600.0);
        assert_eq!(d.at(), "2026-12-01 09:00");
        let d = Deadline::parse_at("2026-12-01T09:00", noon()).unwrap();
        assert_eq!(d.seconds, 21.0 * 3600.0);
    }

    #[test]
    fn past_times_are_a_clear_error() {
        let e = Deadline::parse_at("11:30", noon()).unwrap_err().to_string();
        assert_eq!(
            e,
            "--deadline 11:30: that time has already passed (it is now 2026-11-30 12:00); \
             give a later time, a date (\"2026-12-01 09:00\") or a duration (20m)"
        );
        assert!(Deadline::parse_at("12:00", noon()).is_err());
        assert!(Deadline::parse_at("2026-11-29 23:00", noon()).is_err());
    }

    #[test]
    fn nonsense_is_an_error() {
        for bad in ["soon", "25:00", "2026-13-01 09:00", "0s", ""] {
            assert!(Deadline::parse_at(bad, noon()).is_err(), "{bad}");
        }
    }
}
