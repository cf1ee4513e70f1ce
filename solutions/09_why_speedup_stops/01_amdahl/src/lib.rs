//! # 09/01 Amdahl's law: the serial part sets the ceiling
//!
//! If a fraction `s` of a job cannot be shared among threads, then however many
//! cores you add, the job never runs faster than `1 / s` times: the serial part
//! alone takes that long. On `n` cores the best speedup is
//!
//! ```text
//!             1
//! S(n) = -----------
//!        s + (1 - s) / n
//! ```
//!
//! Book: `book/src/ch09-why-speedup-stops/amdahl.md`

use std::fmt;

mod workload;
pub use workload::{Job, crunch, run};

/// Why a calculation refused its input.
#[derive(Clone, Debug, PartialEq)]
pub enum AmdahlError {
    /// A serial fraction outside `0.0..=1.0` (or not a number).
    SerialFraction(f64),
    /// Fewer than 1 core (or not a number); `serial_fraction_from` needs more than 1.
    Cores(f64),
    /// A speedup that is not a positive number.
    Speedup(f64),
}

impl fmt::Display for AmdahlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AmdahlError::SerialFraction(s) => {
                write!(f, "a serial fraction must be between 0 and 1, not {s}")
            }
            AmdahlError::Cores(n) => write!(f, "{n} is not a usable number of cores here"),
            AmdahlError::Speedup(x) => write!(f, "a speedup must be a positive number, not {x}"),
        }
    }
}

impl std::error::Error for AmdahlError {}

/// Amdahl's prediction: the speedup of a job whose serial fraction is
/// `serial_fraction`, on `cores` cores.
///
/// `cores` may be fractional: a busy machine offers, say, 1.4 cores' worth of spare
/// capacity. Errors: `serial_fraction` outside `0.0..=1.0` or NaN
/// (`AmdahlError::SerialFraction`), `cores` below 1 or NaN (`AmdahlError::Cores`).
pub fn predicted_speedup(serial_fraction: f64, cores: f64) -> Result<f64, AmdahlError> {
    let s = check_fraction(serial_fraction)?;
    if cores.is_nan() || cores < 1.0 {
        return Err(AmdahlError::Cores(cores));
    }
    Ok(1.0 / (s + (1.0 - s) / cores))
}

/// The speedup that no number of cores can beat: `1 / serial_fraction`, or
/// `f64::INFINITY` for a job with no serial part at all.
///
/// Error: `serial_fraction` outside `0.0..=1.0` or NaN.
pub fn ceiling(serial_fraction: f64) -> Result<f64, AmdahlError> {
    let s = check_fraction(serial_fraction)?;
    Ok(1.0 / s)
}

/// Reads the law backwards: the serial fraction that explains a measured `speedup`
/// on `cores` cores, clamped to `0.0..=1.0` (noise can push a measurement a little
/// outside).
///
/// Errors: `cores` not above 1 (one core cannot tell serial from parallel work) or
/// NaN (`AmdahlError::Cores`); `speedup` not above 0 or NaN
/// (`AmdahlError::Speedup`).
pub fn serial_fraction_from(speedup: f64, cores: f64) -> Result<f64, AmdahlError> {
    if cores.is_nan() || cores <= 1.0 {
        return Err(AmdahlError::Cores(cores));
    }
    if speedup.is_nan() || speedup <= 0.0 {
        return Err(AmdahlError::Speedup(speedup));
    }
    let s = (cores / speedup - 1.0) / (cores - 1.0);
    Ok(s.clamp(0.0, 1.0))
}

fn check_fraction(s: f64) -> Result<f64, AmdahlError> {
    if (0.0..=1.0).contains(&s) {
        Ok(s)
    } else {
        Err(AmdahlError::SerialFraction(s))
    }
}
