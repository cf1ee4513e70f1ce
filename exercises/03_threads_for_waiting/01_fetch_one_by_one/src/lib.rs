//! # 03/01 Fetch one by one: blocking I/O
//!
//! A blocking call such as `TcpStream::read` parks the calling thread until data
//! arrives: the thread is *blocked*, the OS runs something else on its core, and the
//! wait costs no CPU at all, only the thread's memory. Fetching resources one by one
//! makes the waits add up, though: that is the starting point of this chapter.
//!
//! The server speaks one line each way: the client sends `GET <name>\n`, the server
//! answers `OK <contents>\n` and closes the connection.
//!
//! Book: `book/src/ch03-threads-for-waiting/blocking-io.md`

use std::fmt;
use std::io;
use std::net::SocketAddr;
// You will need `std::net::TcpStream`, and the traits `std::io::Read` and
// `std::io::Write` that give it `read_to_string` and `write_all`.

/// Why a fetch did not return the resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchError {
    /// The name is empty or contains whitespace or control characters, so it cannot
    /// be sent as one `GET <name>` line. Nothing was sent.
    BadName(String),
    /// The connection could not be opened (nobody listens there, for example).
    Connect {
        addr: SocketAddr,
        kind: io::ErrorKind,
    },
    /// The server closed the connection without answering.
    ClosedEarly { name: String },
    /// The server answered something other than `OK <contents>\n`.
    BadAnswer { name: String, answer: String },
    /// Sending the request or reading the answer failed half-way.
    Io { name: String, kind: io::ErrorKind },
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::BadName(name) => {
                write!(f, "bad resource name {name:?}: it must be one word")
            }
            FetchError::Connect { addr, kind } => write!(f, "cannot connect to {addr}: {kind}"),
            FetchError::ClosedEarly { name } => {
                write!(
                    f,
                    "the server closed the connection without answering for {name:?}"
                )
            }
            FetchError::BadAnswer { name, answer } => {
                write!(f, "unexpected answer for {name:?}: {answer:?}")
            }
            FetchError::Io { name, kind } => write!(f, "I/O error while fetching {name:?}: {kind}"),
        }
    }
}

impl std::error::Error for FetchError {}

/// Fetches one resource: connects to `addr`, sends `GET <name>\n`, reads the answer
/// to the end (the server closes the connection after answering), and returns the
/// contents after `OK `, without the final newline.
///
/// Every failure is an `Err` (see [`FetchError`]), never a panic.
pub fn fetch(addr: SocketAddr, name: &str) -> Result<String, FetchError> {
    // TODO:
    // 1. Reject a name that is empty or has whitespace or control characters
    //    (`FetchError::BadName`), before connecting.
    // 2. `TcpStream::connect(addr)`; a failure is `FetchError::Connect` (keep
    //    `e.kind()`).
    // 3. `write_all` the line `GET <name>\n`, then `read_to_string` the answer; a
    //    failure of either is `FetchError::Io`.
    // 4. An empty answer is `FetchError::ClosedEarly`; `OK <contents>\n` gives
    //    `Ok(contents)`; anything else is `FetchError::BadAnswer`.
    let _ = (addr, name);
    todo!("fetch one resource with blocking I/O")
}

/// Fetches every resource in `names`, one after the other on the calling thread, and
/// returns one result per name, in the same order. A failed fetch does not stop the
/// others.
pub fn fetch_one_by_one(addr: SocketAddr, names: &[&str]) -> Vec<Result<String, FetchError>> {
    // TODO: call `fetch` for each name, in order, and collect the results.
    let _ = (addr, names);
    todo!("fetch the resources one after the other")
}
