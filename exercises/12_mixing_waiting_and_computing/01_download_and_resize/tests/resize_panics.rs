//! Tests for 12/01 with a resize that panics. Run them with `cargo xtask check 12/01`.
//!
//! A test binary of its own, because it builds rayon's global pool itself, with a
//! `panic_handler` that counts the panics that escape a `rayon::spawn` closure.
//! Without a handler, rayon aborts the whole process on such a panic, and all a
//! grader could say is "killed by signal 6"; with it, these tests can say what went
//! wrong. Either way, a panic that reaches rayon fails: in your own program it would
//! take every other file down with it.
//!
//! The panics are planted on purpose. A panic on a rayon thread, or inside the code
//! under test, is printed as a `note:` line (its message, expected), so that a failure
//! shows the test's own explanation first.

use ex12_01_download_and_resize::image::{Image, probe, thumbnail};
use ex12_01_download_and_resize::server::Server;
use ex12_01_download_and_resize::{
    Config, FileError, Report, download_and_resize, thumbnail_on_rayon,
};
use std::path::PathBuf;
use std::sync::MutexGuard;
use std::time::Duration;
use test_support::panics::RayonPanics;

/// Rayon's global pool with a panic handler (test-support's `panics`), and the words
/// for what escapes it.
const PANICS: RayonPanics = RayonPanics {
    job: "resize",
    others: "every other file",
};

/// The shared pool (the tests take turns) and a fresh planted panic.
fn setup() -> MutexGuard<'static, ()> {
    let turn = PANICS.setup();
    probe::reset();
    turn
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

#[test]
fn a_resize_that_panics_is_an_err_not_an_abort() {
    let _turn = setup();
    let rt = runtime();
    // A real bug, in the given `thumbnail`: pixels that do not fill the size make it
    // index out of bounds.
    let broken = Image {
        width: 8,
        height: 8,
        pixels: vec![0; 10],
    };
    let what = "`thumbnail_on_rayon` of an 8x8 image with 10 pixels";
    let result = PANICS.without_panicking(what, || rt.block_on(thumbnail_on_rayon(broken, 1)));
    PANICS.no_panic_escaped(what);
    match result {
        Err(message) => assert!(
            message.contains("index out of bounds"),
            "the `Err` must carry the panic's message (`panic_message`), but it is {message:?}"
        ),
        Ok(image) => panic!(
            "`thumbnail` panics on an 8x8 image with 10 pixels, but `thumbnail_on_rayon` \
             returned Ok (a {}x{} image)",
            image.width, image.height
        ),
    }
    // The pool is still there, and the next image resizes as usual.
    let good = Image::generate(1, 8, 8);
    let again = rt.block_on(thumbnail_on_rayon(good.clone(), 1));
    assert!(
        again == Ok(thumbnail(&good, 1)),
        "after a resize that panicked, the next good image must resize as usual, but got {:?}",
        again.map(|i| (i.width, i.height))
    );
}

#[test]
fn a_file_whose_resize_panics_fails_alone() {
    let _turn = setup();
    // Every resize of a 13x7 image panics; the other images resize as usual.
    probe::panic_on_size(13, 7);
    let server = Server::builder()
        .delay(Duration::from_millis(5))
        .file("first.pgm", Image::generate(1, 40, 30).encode())
        .file("bug.pgm", Image::generate(2, 13, 7).encode())
        .file("second.pgm", Image::generate(3, 40, 30).encode())
        .file("last.pgm", Image::generate(4, 20, 10).encode())
        .start();
    let names = ["first.pgm", "bug.pgm", "second.pgm", "last.pgm"];
    let out: PathBuf =
        std::env::temp_dir().join(format!("wow-12-01-panics-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("cannot create a temporary folder");
    let config = Config {
        server: server.addr(),
        names: names.iter().map(|n| n.to_string()).collect(),
        max_downloads: 2,
        passes: 1,
        out_dir: out.clone(),
    };
    let what = "a batch in which bug.pgm's resize panics";
    let report: Report = PANICS.without_panicking(what, || {
        runtime()
            .block_on(download_and_resize(&config))
            .expect("a valid configuration must give a report")
    });
    PANICS.no_panic_escaped(what);
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .expect("the output folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    written.sort();
    let _ = std::fs::remove_dir_all(&out);
    let mut text = String::new();
    for file in &report.files {
        match &file.result {
            Ok(t) => {
                text += &format!(
                    "{:<11} ok   {}x{} checksum {:016x}\n",
                    file.name, t.width, t.height, t.checksum
                )
            }
            Err(e) => text += &format!("{:<11} err  {e}\n", file.name),
        }
    }
    assert!(
        matches!(
            report
                .files
                .iter()
                .find(|f| f.name == "bug.pgm")
                .map(|f| &f.result),
            Some(Err(FileError::Resize(_)))
        ),
        "bug.pgm's resize panicked: its result must be `Err(FileError::Resize(..))`, and \
         the other files must still get their thumbnails:\n{text}"
    );
    assert_eq!(
        written,
        ["first.pgm", "last.pgm", "second.pgm"],
        "the three good images must be written, and nothing for bug.pgm:\n{text}"
    );
    insta::assert_snapshot!(text);
}
