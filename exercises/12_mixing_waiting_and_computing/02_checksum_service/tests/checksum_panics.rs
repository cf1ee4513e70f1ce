//! Tests for 12/02 with a checksum that panics. Run them with `cargo xtask check 12/02`.
//!
//! A test binary of its own, because it builds rayon's global pool itself, with a
//! `panic_handler` that counts the panics that escape a `rayon::spawn` closure.
//! Without a handler, rayon aborts the whole process on such a panic, and all a
//! grader could say is "killed by signal 6"; with it, these tests can say what went
//! wrong. Either way, a panic that reaches rayon fails: in a real service it would
//! take every other request down with it.
//!
//! The panic is a real one: the given `checksum` indexes the first byte of an empty
//! blob. It is printed as a `note:` line (its message, expected), so that a failure
//! shows the test's own explanation first.

use ex12_02_checksum_service::checksum::checksum;
use ex12_02_checksum_service::store::{ReadError, Store};
use ex12_02_checksum_service::{Request, RequestError, Response, checksum_on_rayon, serve};
use std::time::Duration;
use test_support::panics::RayonPanics;

/// Rayon's global pool with a panic handler (test-support's `panics`), and the words
/// for what escapes it.
const PANICS: RayonPanics = RayonPanics {
    job: "checksum",
    others: "every other request",
};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

#[test]
fn a_checksum_that_panics_is_an_err_not_an_abort() {
    let _turn = PANICS.setup();
    let rt = runtime();
    let what = "`checksum_on_rayon` of an empty blob";
    let result = PANICS.without_panicking(what, || rt.block_on(checksum_on_rayon(Vec::new(), 1)));
    PANICS.no_panic_escaped(what);
    match result {
        Err(message) => assert!(
            message.contains("index out of bounds"),
            "the `Err` must carry the panic's message (`panic_message`), but it is {message:?}"
        ),
        Ok(sum) => panic!(
            "`checksum` panics on an empty blob, but `checksum_on_rayon` returned Ok({sum:#x})"
        ),
    }
    // The pool is still there, and the next checksum is computed as usual.
    let again = rt.block_on(checksum_on_rayon(b"hello".to_vec(), 3));
    assert_eq!(
        again,
        Ok(checksum(b"hello", 3)),
        "after a checksum that panicked, the next one must be computed as usual"
    );
}

#[test]
fn a_request_whose_checksum_panics_fails_alone() {
    let _turn = PANICS.setup();
    let store = Store::builder()
        .delay(Duration::from_millis(5))
        .blob("first.bin", b"the first blob".to_vec())
        .blob("empty.bin", Vec::new())
        .blob("second.bin", vec![7; 5000])
        .blob("last.bin", b"!".to_vec())
        .build();
    let requests: Vec<Request> = [
        "first.bin",
        "empty.bin",
        "missing.bin",
        "second.bin",
        "last.bin",
    ]
    .iter()
    .map(|n| Request {
        name: n.to_string(),
        rounds: 2,
    })
    .collect();
    let what = "a burst in which empty.bin's checksum panics";
    let responses: Vec<Response> =
        PANICS.without_panicking(what, || runtime().block_on(serve(&store, &requests)));
    PANICS.no_panic_escaped(what);
    let mut text = String::new();
    for r in &responses {
        match &r.result {
            Ok(sum) => text += &format!("{:<11} ok   {sum:016x}\n", r.name),
            Err(e) => text += &format!("{:<11} err  {e}\n", r.name),
        }
    }
    let result_of = |name: &str| responses.iter().find(|r| r.name == name).map(|r| &r.result);
    assert!(
        matches!(result_of("empty.bin"), Some(Err(RequestError::Checksum(_)))),
        "empty.bin's checksum panicked: its result must be `Err(RequestError::Checksum(..))`, \
         and the other requests must still be answered:\n{text}"
    );
    assert_eq!(
        result_of("missing.bin"),
        Some(&Err(RequestError::Read(ReadError::NotFound(
            "missing.bin".to_string()
        )))),
        "a blob that is not in the store is `RequestError::Read` for that request alone:\n{text}"
    );
    for (name, data) in [
        ("first.bin", b"the first blob".to_vec()),
        ("second.bin", vec![7; 5000]),
        ("last.bin", b"!".to_vec()),
    ] {
        assert_eq!(
            result_of(name),
            Some(&Ok(checksum(&data, 2))),
            "{name} must be answered as usual:\n{text}"
        );
    }
    insta::assert_snapshot!(text);
}
