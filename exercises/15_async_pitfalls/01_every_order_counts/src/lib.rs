//! # 15/01 Every order counts: a cancel-safe `select!` loop
//!
//! A `tokio::select!` in a loop polls its branches, runs the one that finishes first,
//! and **drops the others**. Next time round the loop it creates them again, from
//! scratch. For a future that has already done half its work (read the length of a
//! ticket, but not the name yet), being dropped means losing that half: the cook was
//! called away to stir the pot and threw the half-read ticket away.
//!
//! `read_ticket` (given, in `src/printer.rs`) is such a future: it is not cancel
//! safe. Your loop must never lose one of its tickets, however the bytes are cut up
//! and whenever the pot needs stirring.
//!
//! Book: `book/src/ch15-async-pitfalls/cancel-safety.md`

use std::io;
use tokio::io::AsyncRead;
use tokio::sync::oneshot;
use tokio::time::Duration;

mod printer;
pub use printer::{Event, Kitchen, read_ticket, ticket};

/// How often the pot must be stirred: every 10 ms, the first time at once (what
/// `tokio::time::interval(STIR_EVERY)` gives).
pub const STIR_EVERY: Duration = Duration::from_millis(10);

/// Runs the kitchen: cooks the dish of every ticket that comes out of `printer`
/// (`kitchen.cook(dish)`, in the order they arrive) and stirs the pot every
/// `STIR_EVERY` (`kitchen.stir()`), both at once, until one of these happens:
///
/// - the printer closes between two tickets (`read_ticket` gives `Ok(None)`):
///   return `Ok(())`;
/// - `closing` receives a message, or its sender is dropped: return `Ok(())` at once;
/// - `read_ticket` fails: return its error.
///
/// No ticket may be lost or cut: every ticket the printer sent before it closed is
/// cooked, whole, however its bytes were split and whenever a stir came in between.
pub async fn run_kitchen<R>(
    printer: R,
    closing: oneshot::Receiver<()>,
    kitchen: &mut Kitchen,
) -> io::Result<()>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    // TODO: a loop around `tokio::select!` with three branches: the next ticket, the
    // next tick of `tokio::time::interval(STIR_EVERY)`, and `&mut closing`. The catch:
    // a `read_ticket(&mut printer)` written inside the `select!` is a new future each
    // time round the loop, and the old one, dropped when a stir won, takes the bytes
    // it had read with it. Create the ticket future once, outside the loop, pin it
    // (`tokio::pin!`), poll it by `&mut`, and replace it (`.set(..)`) only after it
    // finished. Or move the reading to a task of its own that sends whole tickets
    // through a `tokio::sync::mpsc` channel, whose `recv` is cancel safe.
    let _ = (printer, closing, kitchen);
    todo!("cook every ticket and stir every 10 ms, losing no ticket to a stir")
}
