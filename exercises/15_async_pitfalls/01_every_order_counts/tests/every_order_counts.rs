//! Tests for 15/01. Run them with `cargo xtask check 15/01`.
//!
//! A printer task writes tickets into one end of a `tokio::io::duplex` pipe on a
//! script: at each virtual millisecond, some bytes (a whole ticket, its length only,
//! half a name, one byte). Your kitchen reads the other end. On tokio's paused clock
//! every write and every stir happens at an exact virtual millisecond (the writes
//! never fall on a multiple of 10 ms, where the stirs are), so what was cooked, in
//! which order and when, is the same on every machine and is checked exactly.

use ex15_01_every_order_counts::{Kitchen, STIR_EVERY, run_kitchen, ticket};
use std::io;
use std::time::Duration;
use test_support::{Outcome, expect_at_least, report};
use tokio::io::{AsyncWriteExt, DuplexStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// What the printer does at one virtual millisecond.
enum Step {
    /// Writes these bytes.
    Write(Vec<u8>),
    /// Closes its end of the pipe: the kitchen reads the end of the stream.
    Close,
}

fn write(at: u64, bytes: impl Into<Vec<u8>>) -> (u64, Step) {
    (at, Step::Write(bytes.into()))
}

/// Starts a printer task that plays `script` (milliseconds since now, in order) and
/// returns the kitchen's end of the pipe. Without a `Close` step the printer keeps
/// its end open until the task is aborted.
fn printer(script: Vec<(u64, Step)>) -> (DuplexStream, JoinHandle<()>) {
    let (mut ours, theirs) = tokio::io::duplex(1024);
    let start = Instant::now();
    let task = tokio::spawn(async move {
        for (at, step) in script {
            tokio::time::sleep_until(start + Duration::from_millis(at)).await;
            match step {
                Step::Write(bytes) => ours.write_all(&bytes).await.expect("the pipe is open"),
                Step::Close => return,
            }
        }
        std::future::pending::<()>().await;
    });
    (theirs, task)
}

/// The length of `dish`'s ticket, then its name.
fn split(dish: &str) -> (Vec<u8>, Vec<u8>) {
    let mut length = ticket(dish);
    let name = length.split_off(2);
    (length, name)
}

/// A busy evening: eight tickets, most of them cut into pieces, with stirs (every
/// 10 ms) falling between the pieces.
fn busy_evening() -> Vec<(u64, Step)> {
    let (bread_len, bread_name) = split("bread");
    let salad = ticket("salad");
    let pasta = ticket("pasta");
    let (stew_len, stew_name) = split("stew");
    let mut two = ticket("tea");
    two.extend(ticket("cake"));
    vec![
        write(2, ticket("soup")),   // whole
        write(5, bread_len),        // the length...
        write(13, bread_name),      // ...the name after the stir at 10
        write(16, &salad[..5]),     // length and "sal"...
        write(24, &salad[5..]),     // ..."ad" after the stir at 20
        write(27, &pasta[..1]),     // one byte of the length...
        write(33, &pasta[1..]),     // ...the rest after the stir at 30
        write(35, two),             // two tickets in one write
        write(38, stew_len),        // the length...
        write(41, &stew_name[..2]), // "st"...
        write(52, &stew_name[2..]), // ..."ew" after the stirs at 40 and 50
        write(56, ticket("pie")),   // whole
        (63, Step::Close),
    ]
}

const EVENING: [&str; 8] = [
    "soup", "bread", "salad", "pasta", "tea", "cake", "stew", "pie",
];

/// Runs the kitchen on `script`, giving up after 5 s (a kitchen that never returns;
/// on the paused clock those 5 s pass at once), and says when it returned.
async fn run(
    script: Vec<(u64, Step)>,
    closing: oneshot::Receiver<()>,
) -> (Kitchen, io::Result<()>, Option<u128>) {
    let start = Instant::now();
    let (pipe, task) = printer(script);
    let mut kitchen = Kitchen::new();
    let result = tokio::time::timeout(
        Duration::from_secs(5),
        run_kitchen(pipe, closing, &mut kitchen),
    )
    .await;
    task.abort();
    match result {
        Ok(result) => (kitchen, result, Some(start.elapsed().as_millis())),
        Err(_) => (kitchen, Ok(()), None),
    }
}

/// Fails, in plain words, at the first ticket that was lost or cut.
#[track_caller]
fn expect_every_ticket(kitchen: &Kitchen, sent: &[&str]) {
    let cooked = kitchen.cooked();
    let check = "tickets cooked whole and in order";
    for (i, dish) in sent.iter().enumerate() {
        match cooked.get(i) {
            Some(got) if got == dish => {}
            got => {
                report::record(check, Outcome::Failed, &format!("{i} of {}", sent.len()));
                let instead = match got {
                    Some(got) => format!("{got:?} was cooked in its place"),
                    None => "nothing was cooked after it".to_string(),
                };
                panic!(
                    "ticket {} ({dish:?}) was lost or cut: {instead}. The tickets sent were \
                     {sent:?}, the kitchen cooked {cooked:?}. A ticket read by a future \
                     that `select!` dropped (a stir won the round) is gone with that future: \
                     create the read once, outside the loop, and poll it by `&mut`",
                    i + 1
                );
            }
        }
    }
    assert!(
        cooked.len() == sent.len(),
        "the kitchen cooked {} dishes, but the printer sent {} tickets: {cooked:?}",
        cooked.len(),
        sent.len()
    );
    report::record(
        check,
        Outcome::Passed,
        &format!("{} of {}", cooked.len(), sent.len()),
    );
}

#[track_caller]
fn expect_stirs(kitchen: &Kitchen, until: u128) {
    let expected: Vec<u128> = (0..=until).step_by(10).collect();
    let stirs = kitchen.stirs();
    assert_eq!(
        stirs, expected,
        "the pot must be stirred every 10 ms, the first time at once (at {expected:?} ms), \
         whatever the printer is doing; it was stirred at {stirs:?} ms. Two usual causes: \
         a timer made anew each time round the loop, which starts counting again after \
         every ticket (use one `tokio::time::interval(STIR_EVERY)` and its `tick()`), or \
         an `.await` inside a branch, which keeps the loop from stirring while it waits \
         (only the `select!` may wait)"
    );
}

#[tokio::test(start_paused = true)]
async fn every_ticket_is_cooked_however_it_is_cut() {
    assert_eq!(STIR_EVERY, Duration::from_millis(10));
    let (_keep, closing) = oneshot::channel();
    let (kitchen, result, returned) = run(busy_evening(), closing).await;
    expect_every_ticket(&kitchen, &EVENING);
    assert!(
        result.is_ok(),
        "the printer closed between two tickets, so `run_kitchen` must return Ok(()), not \
         {result:?}"
    );
    assert_eq!(
        returned,
        Some(63),
        "the printer closed at 63 ms: `run_kitchen` must return then (`read_ticket` gives \
         `Ok(None)`), not keep waiting"
    );
    expect_stirs(&kitchen, 60);
}

#[tokio::test(start_paused = true)]
async fn the_evening_timeline() {
    let (_keep, closing) = oneshot::channel();
    let (kitchen, result, returned) = run(busy_evening(), closing).await;
    let returned = returned.map_or("never".to_string(), |ms| format!("at {ms} ms"));
    let text = format!("{}\nreturned {result:?} {returned}\n", kitchen.timeline());
    insta::assert_snapshot!(text);
}

#[tokio::test(start_paused = true)]
async fn a_long_pause_in_a_ticket_loses_nothing() {
    // The length at 3 ms, the name at 47 ms: four stirs win their rounds while the
    // ticket is half printed.
    let (len, name) = split("risotto");
    let script = vec![
        write(3, len),
        write(47, name),
        write(48, ticket("gelato")),
        (54, Step::Close),
    ];
    let (_keep, closing) = oneshot::channel();
    let (kitchen, result, returned) = run(script, closing).await;
    expect_every_ticket(&kitchen, &["risotto", "gelato"]);
    expect_stirs(&kitchen, 50);
    assert!(
        result.is_ok() && returned == Some(54),
        "{result:?} at {returned:?} ms"
    );
    let cooked_at: Vec<u128> = kitchen
        .log()
        .iter()
        .filter(|(_, e)| *e != ex15_01_every_order_counts::Event::Stirred)
        .map(|(at, _)| at.as_millis())
        .collect();
    assert_eq!(
        cooked_at,
        [47, 48],
        "each dish must be cooked the moment its ticket is complete"
    );
}

#[tokio::test(start_paused = true)]
async fn closing_stops_the_kitchen_at_once() {
    // The printer stays open; the closing bell rings at 25 ms.
    let script = vec![write(4, ticket("soup")), write(17, ticket("bread"))];
    let (ring, closing) = oneshot::channel();
    let bell = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(25)).await;
        let _ = ring.send(());
    });
    let (kitchen, result, returned) = run(script, closing).await;
    bell.abort();
    assert!(
        returned.is_some(),
        "the closing bell rang at 25 ms, and `run_kitchen` had not returned 5 s later: \
         `&mut closing` must be a branch of the `select!`"
    );
    assert_eq!(
        returned,
        Some(25),
        "the closing bell rang at 25 ms: `run_kitchen` must return then"
    );
    assert!(result.is_ok(), "closing is not an error: {result:?}");
    expect_every_ticket(&kitchen, &["soup", "bread"]);
    expect_stirs(&kitchen, 20);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_bell_closes_the_kitchen_too() {
    let (ring, closing) = oneshot::channel::<()>();
    let bell = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(15)).await;
        drop(ring);
    });
    let (kitchen, result, returned) = run(vec![write(4, ticket("soup"))], closing).await;
    bell.abort();
    assert_eq!(
        returned,
        Some(15),
        "the closing bell's sender was dropped at 15 ms: `run_kitchen` must return then \
         ({result:?})"
    );
    expect_every_ticket(&kitchen, &["soup"]);
}

#[tokio::test(start_paused = true)]
async fn broken_tickets_are_errors() {
    let mut text = String::new();
    let cases: [(&str, Vec<(u64, Step)>); 3] = [
        (
            "closed after 1 byte of a length",
            vec![write(2, ticket("soup")), write(4, [0u8]), (6, Step::Close)],
        ),
        (
            "closed in the middle of a name",
            vec![write(2, &ticket("bread")[..4]), (6, Step::Close)],
        ),
        (
            "a name that is not UTF-8",
            vec![write(2, ticket("soup")), write(4, [0, 2, 0xff, 0xfe])],
        ),
    ];
    for (case, script) in cases {
        let (_keep, closing) = oneshot::channel();
        let (kitchen, result, returned) = run(script, closing).await;
        let (Err(error), Some(returned)) = (&result, returned) else {
            panic!(
                "{case}: `run_kitchen` must return the error `read_ticket` gave, but it \
                 returned {result:?} (at {returned:?} ms)"
            );
        };
        // The kind of error, not its words: a kitchen that parses the tickets itself
        // may say it differently.
        text += &format!(
            "{case}:\n  cooked {:?}, then at {returned} ms: an error of kind {:?}\n",
            kitchen.cooked(),
            error.kind()
        );
    }
    insta::assert_snapshot!(text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_real_clock_the_pot_is_stirred_while_a_ticket_waits() {
    // Real time, two worker threads: the length, then 80 ms of silence, then the name.
    // The pot must be stirred all along (about 8 times; a busy machine delays stirs
    // but cannot stop them all), and the ticket must still be cooked whole.
    let (len, name) = split("ratatouille");
    let script = vec![write(1, len), write(81, name), (83, Step::Close)];
    let (_keep, closing) = oneshot::channel();
    let (kitchen, result, returned) = run(script, closing).await;
    assert!(returned.is_some() && result.is_ok(), "{result:?}");
    expect_every_ticket(&kitchen, &["ratatouille"]);
    let cooked_at = kitchen
        .log()
        .iter()
        .find(|(_, e)| *e != ex15_01_every_order_counts::Event::Stirred)
        .map(|(at, _)| *at)
        .expect("one dish cooked");
    let stirs_while_waiting = kitchen
        .log()
        .iter()
        .filter(|(at, e)| *e == ex15_01_every_order_counts::Event::Stirred && *at < cooked_at)
        .count();
    expect_at_least(
        "stirs while a ticket was half printed",
        stirs_while_waiting,
        4,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_real_clock_three_hundred_tickets_arrive_whole() {
    // 300 tickets, each cut in two at a different place, the halves about a
    // millisecond apart, on a real clock, while the pot is stirred every 10 ms.
    let dishes: Vec<String> = (0..300).map(|i| format!("dish {i:03}")).collect();
    let mut script = Vec::new();
    for (i, dish) in dishes.iter().enumerate() {
        let bytes = ticket(dish);
        let cut = 1 + i % (bytes.len() - 1);
        let at = 1 + 2 * i as u64;
        script.push(write(at, &bytes[..cut]));
        script.push(write(at + 1, &bytes[cut..]));
    }
    script.push((2 * dishes.len() as u64 + 2, Step::Close));
    let (_keep, closing) = oneshot::channel();
    let (kitchen, result, returned) = run(script, closing).await;
    let sent: Vec<&str> = dishes.iter().map(String::as_str).collect();
    expect_every_ticket(&kitchen, &sent);
    assert!(returned.is_some() && result.is_ok(), "{result:?}");
}
