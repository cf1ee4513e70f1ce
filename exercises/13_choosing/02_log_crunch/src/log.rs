//! Given code (you do not need to change it): the log format, and the computing
//! step of the program, [`parse`].
//!
//! A log file is a header line, then one entry per line:
//!
//! ```text
//! # crunch-log v1 rounds=2000
//! 2026-11-29T03:14:15Z WARN checkout 5c1b0e6a9d3f7724 payment retried
//! <time>               <level> <service> <seal> <message...>
//! ```
//!
//! Every line is *sealed*: `<seal>` is [`seal`] of the rest of the line, a hash
//! stretched over `rounds` rounds (the header says how many), so that a line cut
//! short or changed on the way is caught. Checking the seals is what makes parsing
//! cost CPU time: about `rounds` nanoseconds per line.

use crate::report::{ServiceCounts, Tally};
use std::fmt;
use std::hint::black_box;

/// How a file's first line starts; `rounds=<N>` follows.
pub const HEADER: &str = "# crunch-log v1 rounds=";

/// The most rounds a header may ask for (a typo must not hang the parser).
pub const MAX_ROUNDS: u32 = 10_000_000;

/// The levels a line may have, in the report's column order.
pub const LEVELS: [&str; 3] = ["INFO", "WARN", "ERROR"];

/// Why a file is malformed: the first bad line and what is wrong with it. A file
/// with a bad line counts for nothing (not even its good lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based, the header being line 1.
    pub line: usize,
    pub why: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.why)
    }
}

impl std::error::Error for ParseError {}

/// The seal of a line's `body` (the line without its seal field, single spaces):
/// an FNV-1a hash of the bytes, stretched over `rounds` rounds of mixing.
pub fn seal(rounds: u32, body: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in body.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    stretch(hash, rounds)
}

#[inline(never)]
fn stretch(hash: u64, rounds: u32) -> u64 {
    let mut x = black_box(hash);
    for i in 0..black_box(rounds) {
        x ^= x >> 29;
        x = x
            .wrapping_mul(0xBF58_476D_1CE4_E5B9)
            .wrapping_add(u64::from(i));
    }
    black_box(x)
}

/// One sealed line: `<time> <level> <service> <seal> <message>`.
pub fn sealed_line(rounds: u32, time: &str, level: &str, service: &str, message: &str) -> String {
    let body = format!("{time} {level} {service} {message}");
    format!(
        "{time} {level} {service} {:016x} {message}",
        seal(rounds, &body)
    )
}

/// The computing step: checks the header and every line's seal, and counts the
/// lines of each service by level, keeping each service's latest time. Keeps one
/// core busy for about `rounds` nanoseconds per line: call it **off** the async
/// runtime's threads. Never panics: a malformed file is an `Err`.
pub fn parse(text: &str) -> Result<Tally, ParseError> {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let rounds = header
        .strip_prefix(HEADER)
        .and_then(|n| n.trim().parse::<u32>().ok())
        .filter(|&n| n <= MAX_ROUNDS)
        .ok_or_else(|| ParseError {
            line: 1,
            why: format!("expected the header `{HEADER}<N>` (N at most {MAX_ROUNDS})"),
        })?;
    let mut tally = Tally::default();
    for (i, line) in lines.enumerate() {
        let number = i + 2;
        let bad = |why: String| ParseError { line: number, why };
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.splitn(5, ' ').collect();
        let [time, level, service, sealed, message] = fields[..] else {
            return Err(bad(
                "expected `<time> <level> <service> <seal> <message>`".to_string()
            ));
        };
        if time.len() != 20 || !time.ends_with('Z') {
            return Err(bad(format!(
                "`{time}` is not a time like 2026-11-29T03:14:15Z"
            )));
        }
        let Some(column) = LEVELS.iter().position(|&l| l == level) else {
            return Err(bad(format!(
                "unknown level `{level}` (INFO, WARN or ERROR)"
            )));
        };
        if service.is_empty() || !service.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
            return Err(bad(format!("`{service}` is not a service name")));
        }
        let expected = seal(rounds, &format!("{time} {level} {service} {message}"));
        if u64::from_str_radix(sealed, 16).ok() != Some(expected) || sealed.len() != 16 {
            return Err(bad("the seal does not match the line".to_string()));
        }
        let counts = tally
            .services
            .entry(service.to_string())
            .or_insert_with(ServiceCounts::default);
        counts.by_level[column] += 1;
        if time > counts.latest.as_str() {
            counts.latest = time.to_string();
        }
    }
    Ok(tally)
}
