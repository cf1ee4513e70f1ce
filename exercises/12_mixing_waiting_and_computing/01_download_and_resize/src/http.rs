//! Given code (you do not need to change it): the waiting step of the pipeline, a
//! minimal async HTTP/1.1 client for `GET` on loopback.
//!
//! One request per connection (`Connection: close`): the client sends the request,
//! reads until the server closes, then checks the status and that the body is as
//! long as the `Content-Length` header promised.

use std::fmt;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Why a download failed.
#[derive(Debug)]
pub enum FetchError {
    /// Connecting, sending or receiving failed.
    Io(std::io::Error),
    /// The server answered, but not `200 OK` (for example `404 Not Found`).
    Status { code: u16, reason: String },
    /// The server closed the connection before the whole body arrived.
    Truncated { expected: usize, received: usize },
    /// The answer is not an HTTP response this client understands.
    Malformed(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Io(e) => write!(f, "cannot talk to the server: {e}"),
            FetchError::Status { code, reason } => write!(f, "the server answered {code} {reason}"),
            FetchError::Truncated { expected, received } => write!(
                f,
                "the body was cut short: {received} of {expected} bytes arrived"
            ),
            FetchError::Malformed(why) => write!(f, "not an HTTP response: {why}"),
        }
    }
}

impl std::error::Error for FetchError {}

impl From<std::io::Error> for FetchError {
    fn from(e: std::io::Error) -> Self {
        FetchError::Io(e)
    }
}

/// Downloads `http://<addr>/<name>` and returns the body. Waits (for the network),
/// never computes: an `.await` on this keeps no thread busy.
pub async fn get(addr: SocketAddr, name: &str) -> Result<Vec<u8>, FetchError> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!("GET /{name} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;

    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| FetchError::Malformed("no end of headers".into()))?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let body = &raw[end + 4..];
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    let mut parts = status.splitn(3, ' ');
    let (version, code, reason) = (parts.next(), parts.next(), parts.next().unwrap_or(""));
    if !version.is_some_and(|v| v.starts_with("HTTP/1.")) {
        return Err(FetchError::Malformed(format!("status line {status:?}")));
    }
    let code: u16 = code
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| FetchError::Malformed(format!("status line {status:?}")))?;
    if code != 200 {
        return Err(FetchError::Status {
            code,
            reason: reason.to_string(),
        });
    }
    let length = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| key.trim().eq_ignore_ascii_case("content-length"))
        .map(|(_, value)| value.trim().parse::<usize>())
        .transpose()
        .map_err(|_| FetchError::Malformed("a Content-Length that is not a number".into()))?;
    match length {
        Some(expected) if body.len() < expected => Err(FetchError::Truncated {
            expected,
            received: body.len(),
        }),
        Some(expected) => Ok(body[..expected].to_vec()),
        None => Ok(body.to_vec()),
    }
}
