//! Tests for 03/01. Run them with `cargo xtask check 03/01`.

use ex03_01_fetch_one_by_one::{FetchError, fetch, fetch_one_by_one};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};
use test_support::net::{SlowServer, refused_addr};
use test_support::report::{self, Outcome};
use test_support::{expect_at_least, expect_at_most};

/// The CPU time this thread has used so far.
#[cfg(unix)]
fn thread_cpu_time() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(unix))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

/// A one-shot server that answers anything with `answer`.
fn odd_server(answer: &'static str) -> SocketAddr {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut line = [0u8; 64];
            let _ = stream.read(&mut line);
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    addr
}

/// A one-shot server: reads the request, then hands the connection to `then`.
fn one_shot(then: impl FnOnce(TcpStream) + Send + 'static) -> SocketAddr {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut line = [0u8; 64];
            let _ = stream.read(&mut line);
            then(stream);
        }
    });
    addr
}

/// Makes closing `stream` reset the connection (an RST, as a crashing server's OS
/// sends) instead of ending it normally.
#[cfg(unix)]
fn reset_on_close(stream: &TcpStream) -> bool {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a valid `linger` of the size given.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    rc == 0
}

#[cfg(not(unix))]
fn reset_on_close(_stream: &TcpStream) -> bool {
    false
}

#[test]
fn fetches_one_resource() {
    let server = SlowServer::start(Duration::from_millis(20));
    assert_eq!(
        fetch(server.addr(), "menu"),
        Ok("contents of menu".to_string()),
        "the server answered `OK contents of menu\\n`: return what follows `OK `, \
         without the newline"
    );
}

#[test]
fn failures_are_errors_not_panics() {
    let server = SlowServer::builder()
        .delay(Duration::from_millis(10))
        .close_early_on("broken")
        .start();
    let refused = refused_addr();
    let odd = odd_server("HTTP/1.1 200 OK\n");
    let cases: [(&str, SocketAddr, &str); 5] = [
        ("nobody listens", refused, "menu"),
        ("server closes early", server.addr(), "broken"),
        ("empty name", server.addr(), ""),
        ("name with a space", server.addr(), "two words"),
        ("not our protocol", odd, "menu"),
    ];
    let mut table = String::new();
    for (what, addr, name) in cases {
        let outcome = match fetch(addr, name) {
            Ok(body) => format!("Ok({body:?})"),
            Err(e) => format!("Err: {e}"),
        };
        // Ports change from run to run; the snapshot must not.
        let outcome = outcome.replace(&addr.to_string(), "127.0.0.1:<port>");
        table += &format!("{what:<20} {outcome}\n");
    }
    insta::assert_snapshot!(table);
    assert!(
        matches!(fetch(refused, "menu"), Err(FetchError::Connect { .. })),
        "a refused connection is `FetchError::Connect`"
    );
    expect_at_most(
        "requests that reached the server for bad names",
        server.gauge().total(),
        1,
    );
}

#[test]
fn every_bad_name_is_refused_before_connecting() {
    // "One word": no whitespace of any kind and no control character, or the
    // request line would not be one line with one name.
    let server = SlowServer::start(Duration::from_millis(10));
    for name in [
        "two words",
        "tab\tname",
        "two\nlines",
        "carriage\rreturn",
        "bell\u{7}",
        "delete\u{7f}",
        "\t",
    ] {
        assert_eq!(
            fetch(server.addr(), name),
            Err(FetchError::BadName(name.to_string())),
            "the name {name:?} has whitespace or a control character in it: it must be \
             `FetchError::BadName` (check with `c.is_whitespace() || c.is_control()`), \
             not sent to the server"
        );
    }
    expect_at_most(
        "connections the server saw for bad names",
        server.gauge().total(),
        0,
    );
    // Two things wrong at once: the bad name is found first, without connecting.
    assert_eq!(
        fetch(refused_addr(), "two words"),
        Err(FetchError::BadName("two words".to_string())),
        "a bad name is `BadName` even where nobody listens: check the name before you \
         connect"
    );
}

#[test]
fn an_answer_cut_short_is_a_bad_answer() {
    // The server hangs up half-way through its line: no final newline.
    for cut in ["OK contents of me", "OK"] {
        assert_eq!(
            fetch(odd_server(cut), "menu"),
            Err(FetchError::BadAnswer {
                name: "menu".to_string(),
                answer: cut.to_string(),
            }),
            "the server answered {cut:?} and closed the connection: without the final \
             newline the answer was cut short, so it is `BadAnswer`, not contents"
        );
    }
}

#[test]
fn an_answer_in_two_parts_is_read_to_the_end() {
    // The answer arrives in two writes, 200 ms apart: one `read` returns only the
    // first part; `read_to_string` reads until the server closes the connection.
    let addr = one_shot(|mut stream| {
        let _ = stream.write_all(b"OK contents");
        let _ = stream.flush();
        std::thread::sleep(Duration::from_millis(200));
        let _ = stream.write_all(b" of menu\n");
    });
    assert_eq!(
        fetch(addr, "menu"),
        Ok("contents of menu".to_string()),
        "the answer `OK contents of menu\\n` came in two parts: read it to the end \
         (`read_to_string`), not with a single `read`"
    );
}

#[test]
fn a_reset_connection_is_an_io_error() {
    // The server reads the request, then resets the connection (a crash): the
    // client's read fails with `ConnectionReset`. That is an I/O error, not an empty
    // answer.
    let (set_tx, set_rx) = std::sync::mpsc::channel();
    let addr = one_shot(move |stream| {
        let _ = set_tx.send(reset_on_close(&stream));
        drop(stream);
    });
    let result = fetch(addr, "menu");
    if set_rx.recv() != Ok(true) {
        report::record(
            "a reset connection",
            Outcome::NotChecked,
            "this system cannot make a socket reset on close",
        );
        return;
    }
    assert_eq!(
        result,
        Err(FetchError::Io {
            name: "menu".to_string(),
            kind: std::io::ErrorKind::ConnectionReset,
        }),
        "the server reset the connection while `fetch` was reading: `read_to_string` \
         returned an error, which is `FetchError::Io` with its kind (do not ignore it)"
    );
}

#[test]
fn a_failed_fetch_does_not_stop_the_others() {
    let server = SlowServer::builder()
        .delay(Duration::from_millis(10))
        .close_early_on("broken")
        .start();
    let results = fetch_one_by_one(server.addr(), &["starter", "broken", "dessert"]);
    assert_eq!(
        results,
        vec![
            Ok("contents of starter".to_string()),
            Err(FetchError::ClosedEarly {
                name: "broken".to_string()
            }),
            Ok("contents of dessert".to_string()),
        ],
        "the server hangs up on `broken`: expected `Ok`, `ClosedEarly`, `Ok`, one result \
         per name (a failed fetch does not stop the next one)"
    );
}

#[test]
fn one_by_one_means_one_at_a_time() {
    let server = SlowServer::start(Duration::from_millis(30));
    let names = ["starter", "main", "dessert", "coffee"];
    let results = fetch_one_by_one(server.addr(), &names);
    let expected: Vec<Result<String, FetchError>> = names
        .iter()
        .map(|n| Ok(format!("contents of {n}")))
        .collect();
    assert_eq!(
        results, expected,
        "one result per name, in the order of the names"
    );
    expect_at_least("requests the server saw", server.gauge().total(), 4);
    expect_at_most(
        "requests in progress at the server at once",
        server.gauge().most_at_once(),
        1,
    );
}

#[test]
fn a_blocked_thread_uses_no_cpu() {
    // Three fetches of 100 ms each: the thread spends about 300 ms blocked in
    // `connect`/`read`, which costs no CPU. A loop that polls instead of blocking
    // would keep a core busy the whole time.
    let server = SlowServer::start(Duration::from_millis(100));
    let names = ["a", "b", "c"];
    let (Some(cpu_before), wall_before) = (thread_cpu_time(), Instant::now()) else {
        report::record(
            "CPU share while waiting for the server",
            Outcome::NotChecked,
            "no thread CPU clock on this system",
        );
        return;
    };
    let results = fetch_one_by_one(server.addr(), &names);
    let wall = wall_before.elapsed();
    let cpu = thread_cpu_time().unwrap_or(cpu_before) - cpu_before;
    assert!(
        results.iter().all(Result::is_ok),
        "every fetch should succeed: {results:?}"
    );
    expect_at_least("requests the server saw", server.gauge().total(), 3);

    let share = cpu.as_secs_f64() / wall.as_secs_f64().max(1e-9);
    let limit = 0.25;
    let detail = format!(
        "{:.1}% of the wall time on the CPU, allowed at most {:.0}%",
        share * 100.0,
        limit * 100.0
    );
    if share <= limit {
        report::record(
            "CPU share while waiting for the server",
            Outcome::Passed,
            &detail,
        );
    } else {
        report::record(
            "CPU share while waiting for the server",
            Outcome::Failed,
            &detail,
        );
        panic!(
            "a thread waiting for the server should be blocked, not busy, but it was on the \
             CPU for {detail}: use blocking calls (`read_to_string`), not a polling loop"
        );
    }
}
