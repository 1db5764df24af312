//! Recurring checks ("every 3 months"): the RFC 5545 RRULE subset action items
//! accept, FREQ with INTERVAL and COUNT or UNTIL.

use std::{fmt, str::FromStr};

use chrono::{Datelike, Months, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Count(u32),
    Until(NaiveDate),
}

/// A parsed, validated rule. `Display` gives its canonical text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recurrence {
    pub frequency: Frequency,
    pub interval: u32,
    pub end: Option<End>,
}

const MAX: u32 = 1000;

impl FromStr for Recurrence {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let body = text.trim();
        let body = body
            .get(..6)
            .filter(|p| p.eq_ignore_ascii_case("RRULE:"))
            .map_or(body, |_| &body[6..]);
        let (mut frequency, mut interval, mut count, mut until) = (None, 1, None, None);
        for part in body.split(';').filter(|p| !p.trim().is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}` is not KEY=VALUE"))?;
            match key.trim().to_ascii_uppercase().as_str() {
                "FREQ" => {
                    frequency = Some(match value.trim().to_ascii_uppercase().as_str() {
                        "DAILY" => Frequency::Daily,
                        "WEEKLY" => Frequency::Weekly,
                        "MONTHLY" => Frequency::Monthly,
                        "YEARLY" => Frequency::Yearly,
                        other => {
                            return Err(format!(
                                "FREQ={other} is not supported: use DAILY, WEEKLY, MONTHLY or YEARLY"
                            ));
                        }
                    })
                }
                "INTERVAL" => interval = number("INTERVAL", value)?,
                "COUNT" => count = Some(number("COUNT", value)?),
                "UNTIL" => until = Some(date(value)?),
                other => {
                    return Err(format!(
                        "{other} is not supported: use FREQ, INTERVAL, COUNT or UNTIL"
                    ));
                }
            }
        }
        let frequency = frequency.ok_or("FREQ is required, e.g. FREQ=MONTHLY;INTERVAL=3")?;
        let end = match (count, until) {
            (Some(_), Some(_)) => return Err("COUNT and UNTIL cannot both be given".into()),
            (Some(count), None) => Some(End::Count(count)),
            (None, Some(until)) => Some(End::Until(until)),
            (None, None) => None,
        };
        Ok(Self {
            frequency,
            interval,
            end,
        })
    }
}

fn number(key: &str, value: &str) -> Result<u32, String> {
    value
        .trim()
        .parse()
        .ok()
        .filter(|n| (1..=MAX).contains(n))
        .ok_or_else(|| format!("{key} must be a whole number from 1 to {MAX}"))
}

/// `20270101` or `20270101T000000Z`: only the date matters for a due date.
fn date(value: &str) -> Result<NaiveDate, String> {
    let value = value.trim();
    value
        .get(..8)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok())
        .filter(|_| value.len() == 8 || value.len() == 16)
        .ok_or_else(|| "UNTIL must be a date like 20270131 or 20270131T000000Z".into())
}

impl fmt::Display for Recurrence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let frequency = match self.frequency {
            Frequency::Daily => "DAILY",
            Frequency::Weekly => "WEEKLY",
            Frequency::Monthly => "MONTHLY",
            Frequency::Yearly => "YEARLY",
        };
        write!(f, "FREQ={frequency}")?;
        if self.interval != 1 {
            write!(f, ";INTERVAL={}", self.interval)?;
        }
        match self.end {
            Some(End::Count(count)) => write!(f, ";COUNT={count}"),
            Some(End::Until(until)) => write!(f, ";UNTIL={}", until.format("%Y%m%d")),
            None => Ok(()),
        }
    }
}

impl Recurrence {
    /// Dates on which the check falls due, starting at `start`, at most `limit`
    /// of them. As RFC 5545 says, a monthly rule on the 31st skips months
    /// without one rather than moving to another day.
    pub fn occurrences(&self, start: NaiveDate, limit: usize) -> Vec<NaiveDate> {
        let cap = match self.end {
            Some(End::Count(count)) => limit.min(count as usize),
            _ => limit,
        };
        let mut out = Vec::new();
        let mut step: u32 = 0;
        // Bounded: a rule can skip at most 11 of 12 months in a row.
        while out.len() < cap && step <= (cap as u32).saturating_mul(12).saturating_add(12) {
            let n = step * self.interval;
            step += 1;
            let Some(date) = self.nth(start, n) else {
                continue;
            };
            if matches!(self.end, Some(End::Until(until)) if date > until) {
                break;
            }
            out.push(date);
        }
        out
    }

    fn nth(&self, start: NaiveDate, n: u32) -> Option<NaiveDate> {
        match self.frequency {
            Frequency::Daily => start.checked_add_days(chrono::Days::new(n.into())),
            Frequency::Weekly => start.checked_add_days(chrono::Days::new(u64::from(n) * 7)),
            Frequency::Monthly => exact_months(start, n),
            Frequency::Yearly => exact_months(start, n.checked_mul(12)?),
        }
    }
}

/// `start` moved by whole months, or `None` when that month has no such day.
fn exact_months(start: NaiveDate, months: u32) -> Option<NaiveDate> {
    let moved = start.checked_add_months(Months::new(months))?;
    (moved.day() == start.day()).then_some(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn parses_the_supported_subset_and_prints_it_canonically() {
        let rule: Recurrence = "rrule:freq=monthly;interval=3;count=4".parse().unwrap();
        assert_eq!(rule.to_string(), "FREQ=MONTHLY;INTERVAL=3;COUNT=4");
        let rule: Recurrence = "FREQ=WEEKLY;UNTIL=20270131T000000Z".parse().unwrap();
        assert_eq!(rule.to_string(), "FREQ=WEEKLY;UNTIL=20270131");
    }

    #[test]
    fn refuses_what_it_cannot_honour() {
        for bad in [
            "",
            "INTERVAL=2",
            "FREQ=HOURLY",
            "FREQ=DAILY;BYDAY=MO",
            "FREQ=DAILY;COUNT=0",
            "FREQ=DAILY;COUNT=2;UNTIL=20270101",
            "FREQ=DAILY;UNTIL=2027-01-01",
        ] {
            assert!(bad.parse::<Recurrence>().is_err(), "{bad}");
        }
    }

    #[test]
    fn expands_quarterly_checks_and_stops_at_count_or_until() {
        let rule: Recurrence = "FREQ=MONTHLY;INTERVAL=3;COUNT=4".parse().unwrap();
        assert_eq!(
            rule.occurrences(d("2026-12-15"), 10),
            [
                d("2026-12-15"),
                d("2027-03-15"),
                d("2027-06-15"),
                d("2027-09-15")
            ]
        );
        let rule: Recurrence = "FREQ=WEEKLY;INTERVAL=2;UNTIL=20270115".parse().unwrap();
        assert_eq!(
            rule.occurrences(d("2026-12-18"), 10),
            [d("2026-12-18"), d("2027-01-01"), d("2027-01-15")]
        );
    }

    #[test]
    fn monthly_on_the_31st_skips_short_months() {
        let rule: Recurrence = "FREQ=MONTHLY;COUNT=3".parse().unwrap();
        assert_eq!(
            rule.occurrences(d("2027-01-31"), 10),
            [d("2027-01-31"), d("2027-03-31"), d("2027-05-31")]
        );
    }
}
