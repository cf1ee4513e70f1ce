//! Tests for 03/01. Run them with `cargo xtask check 03/01`.

use ex03_01_fetch_one_by_one::{FetchError, fetch, fetch_one_by_one};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
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
