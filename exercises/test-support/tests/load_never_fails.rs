//! The promise of `SpeedupCheck`, checked on the check itself: a busy machine can make
//! a check "not checked", never make it fail, and a sequential "parallel" variant is
//! never passed.

use std::process::{Child, Command};
use std::time::Duration;
use test_support::{Outcome, SpeedupCheck, kernel, load, spin};

/// Processes that spin on every core this test may use, killed when dropped.
struct Neighbours(Vec<Child>);

impl Neighbours {
    fn on_every_core() -> Self {
        let cores = test_support::cores();
        Self(
            (0..cores)
                .map(|_| {
                    Command::new("sh")
                        .args(["-c", "while :; do :; done"])
                        .spawn()
                        .expect("sh")
                })
                .collect(),
        )
    }
}

impl Drop for Neighbours {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn a_busy_machine_gives_not_checked_never_failed() {
    if test_support::cores() < 2 || !load::measurable() {
        eprintln!("not checked: needs 2 cores and /proc/stat");
        return;
    }
    let steps = kernel::steps_for(Duration::from_millis(60));
    let _neighbours = Neighbours::on_every_core();
    std::thread::sleep(Duration::from_millis(50));
    // A correct parallel variant, slowed down by the neighbours: under load it may
    // look slow, and must then be "not checked", never "failed".
    let checked = SpeedupCheck::new("two kernels on two threads under load")
        .pieces(2)
        .tries(1)
        .measure(
            || {
                spin(steps);
                spin(steps);
            },
            || {
                std::thread::scope(|s| {
                    s.spawn(|| spin(steps));
                    s.spawn(|| spin(steps));
                });
            },
        );
    assert_eq!(
        checked.outcome,
        Outcome::NotChecked,
        "with every core busy the check must not judge: {}",
        checked.detail
    );
    assert!(
        checked.detail.contains("other programs kept"),
        "the message must say that other programs were busy: {}",
        checked.detail
    );
}

#[test]
fn a_sequential_variant_is_never_passed() {
    if test_support::cores() < 2 {
        eprintln!("not checked: needs 2 cores");
        return;
    }
    let steps = kernel::steps_for(Duration::from_millis(60));
    let checked = SpeedupCheck::new("two kernels one after the other")
        .pieces(2)
        .tries(2)
        .measure(
            || {
                spin(steps);
                spin(steps);
            },
            || {
                spin(steps);
                spin(steps);
            },
        );
    // Failed on a quiet machine, not checked on a busy one; passed never.
    assert_ne!(checked.outcome, Outcome::Passed, "{}", checked.detail);
}
