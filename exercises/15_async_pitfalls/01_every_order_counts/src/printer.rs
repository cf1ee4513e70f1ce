//! Given code: the ticket printer's wire format, and the kitchen's logbook. You do not
//! need to edit this file.
//!
//! The printer is a byte stream (a socket, a pipe; in the tests one end of
//! `tokio::io::duplex`). Each ticket on it is its length in 2 bytes (big-endian), then
//! the dish's name in UTF-8. A ticket may arrive in pieces, a few milliseconds apart:
//! the length first and the name later, or even one byte at a time.

use std::fmt::Write as _;
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::{Duration, Instant};

/// A ticket as the printer sends it: 2 bytes of length (big-endian), then the name.
///
/// # Panics
///
/// If the name is longer than 65,535 bytes.
pub fn ticket(dish: &str) -> Vec<u8> {
    let len = u16::try_from(dish.len()).expect("a dish name fits in 65,535 bytes");
    let mut bytes = len.to_be_bytes().to_vec();
    bytes.extend_from_slice(dish.as_bytes());
    bytes
}

/// Reads the next ticket: `Ok(Some(dish))`, or `Ok(None)` when the printer closed
/// between two tickets. A printer that closes in the middle of a ticket is an
/// `UnexpectedEof` error; a name that is not UTF-8 is an `InvalidData` error.
///
/// **Not cancel safe.** It awaits several reads, and the bytes it has read so far
/// live in its own local variables. Drop the future between two of those reads (a
/// `select!` whose other branch won, a `timeout` that ran out) and those bytes are
/// gone: the next call starts reading in the middle of a ticket.
pub async fn read_ticket<R: AsyncRead + Unpin>(printer: &mut R) -> io::Result<Option<String>> {
    let mut len = [0u8; 2];
    let mut got = 0;
    while got < len.len() {
        let n = printer.read(&mut len[got..]).await?;
        if n == 0 {
            if got == 0 {
                return Ok(None);
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the printer closed in the middle of a ticket's length",
            ));
        }
        got += n;
    }
    let mut name = vec![0u8; usize::from(u16::from_be_bytes(len))];
    printer.read_exact(&mut name).await?;
    String::from_utf8(name)
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// What the kitchen did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A dish was cooked from its ticket.
    Cooked(String),
    /// The pot was stirred.
    Stirred,
}

/// The kitchen's logbook: what happened, and when, measured on tokio's clock from
/// the moment the kitchen opened. Under a paused clock those are exact virtual
/// milliseconds.
#[derive(Debug)]
pub struct Kitchen {
    opened: Instant,
    log: Vec<(Duration, Event)>,
}

impl Default for Kitchen {
    fn default() -> Self {
        Self::new()
    }
}

impl Kitchen {
    /// A kitchen that opens now.
    pub fn new() -> Kitchen {
        Kitchen {
            opened: Instant::now(),
            log: Vec::new(),
        }
    }

    /// Cooks the dish of one ticket.
    pub fn cook(&mut self, dish: String) {
        self.note(Event::Cooked(dish));
    }

    /// Stirs the pot.
    pub fn stir(&mut self) {
        self.note(Event::Stirred);
    }

    fn note(&mut self, event: Event) {
        self.log.push((self.opened.elapsed(), event));
    }

    /// Everything that happened, in order, with the time since the kitchen opened.
    pub fn log(&self) -> &[(Duration, Event)] {
        &self.log
    }

    /// The dishes cooked, in order.
    pub fn cooked(&self) -> Vec<&str> {
        self.log
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Cooked(dish) => Some(dish.as_str()),
                Event::Stirred => None,
            })
            .collect()
    }

    /// When the pot was stirred, in milliseconds since the kitchen opened.
    pub fn stirs(&self) -> Vec<u128> {
        self.log
            .iter()
            .filter(|(_, e)| *e == Event::Stirred)
            .map(|(at, _)| at.as_millis())
            .collect()
    }

    /// The log, one line per event: `  13 ms  cooked "soup"`.
    pub fn timeline(&self) -> String {
        let mut text = String::new();
        for (at, event) in &self.log {
            let what = match event {
                Event::Cooked(dish) => format!("cooked {dish:?}"),
                Event::Stirred => "stirred".to_string(),
            };
            let _ = writeln!(text, "{:>4} ms  {what}", at.as_millis());
        }
        text
    }
}
