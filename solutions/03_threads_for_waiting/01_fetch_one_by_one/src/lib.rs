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
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};

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
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FetchError::BadName(name.to_string()));
    }
    let io_error = |e: io::Error| FetchError::Io {
        name: name.to_string(),
        kind: e.kind(),
    };
    // Each of these calls blocks this thread until the OS has something for it.
    let mut stream = TcpStream::connect(addr).map_err(|e| FetchError::Connect {
        addr,
        kind: e.kind(),
    })?;
    stream
        .write_all(format!("GET {name}\n").as_bytes())
        .map_err(io_error)?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).map_err(io_error)?;

    if answer.is_empty() {
        return Err(FetchError::ClosedEarly {
            name: name.to_string(),
        });
    }
    answer
        .strip_prefix("OK ")
        .and_then(|rest| rest.strip_suffix('\n'))
        .map(str::to_string)
        .ok_or_else(|| FetchError::BadAnswer {
            name: name.to_string(),
            answer: answer.clone(),
        })
}

/// Fetches every resource in `names`, one after the other on the calling thread, and
/// returns one result per name, in the same order. A failed fetch does not stop the
/// others.
pub fn fetch_one_by_one(addr: SocketAddr, names: &[&str]) -> Vec<Result<String, FetchError>> {
    names.iter().map(|name| fetch(addr, name)).collect()
}
