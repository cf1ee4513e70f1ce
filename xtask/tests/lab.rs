//! `cargo xtask lab --quick`: the report's structure and the chart files (measured
//! numbers redacted), the book page that shows them, and the facts that hold on any
//! machine: ten thousand waits overlap, and the figures say which Python was measured.

mod common;
use common::{repo_root, xtask};
use serde_json::Value;

/// Numbers become `[n]`, the machine and Python's result are blanked: what is left is
/// the report's shape, which does not depend on the machine.
fn shape(v: &Value) -> Value {
    match v {
        Value::Number(_) => "[n]".into(),
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "machine" | "python" => format!("[{k}]").into(),
                        "timeline" => {
                            format!("[{} spans]", v.as_array().map_or(0, Vec::len)).into()
                        }
                        _ => shape(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn a_quick_lab_writes_its_report_and_charts_and_the_book_shows_them() {
    let out = repo_root().join(format!("target/xtask-tests/lab-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    // Three runs: the waiting check below keeps the best of them.
    let output = xtask()
        .args(["lab", "--quick", "--runs", "3", "--json"])
        .env("WOW_LAB_DIR", &out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("--json prints JSON");
    insta::assert_snapshot!(serde_json::to_string_pretty(&shape(&report)).unwrap());

    // Facts that hold on any machine.
    assert!(report["machine"]["cores"].as_u64().unwrap() >= 1);
    let rayon = report["cpu"]["rayon"].as_array().unwrap();
    assert_eq!(
        rayon[0]["threads"], 1,
        "the speedup curve starts at one thread"
    );
    let serial = report["cpu"]["serial_fraction"].as_f64().unwrap();
    assert!((serial - 2.0 / 26.0).abs() < 1e-9);
    let jobs: Vec<u64> = report["waits"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["jobs"].as_u64().unwrap())
        .collect();
    assert_eq!(jobs, [10, 100, 1000, 10_000]);
    ten_thousand_waits_take_about_one_wait(&report["waits"]);
    let python_found = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let outcome = report["python"]["outcome"].as_str().unwrap();
    if python_found {
        assert_eq!(
            outcome, "measured",
            "python3 is here, so it must be measured: {}",
            report["python"]
        );
        the_python_build_is_reported(&report["python"], &out);
    } else {
        assert_eq!(report["python"]["reason"], "python3 not found");
    }
    for file in [
        "report.json",
        "figures.md",
        "speedup.svg",
        "waits.svg",
        "timeline.svg",
    ] {
        let text =
            std::fs::read_to_string(out.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        if file.ends_with(".svg") {
            assert!(
                text.starts_with("<svg") && text.trim_end().ends_with("</svg>"),
                "{file} is not an SVG"
            );
        }
    }

    // The book's "Your machine" page shows these figures, not the defaults.
    let output = xtask()
        .args(["book", "build"])
        .env("WOW_LAB_DIR", &out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let page = std::fs::read_to_string(repo_root().join("book/build/your-machine.html")).unwrap();
    assert!(
        page.contains("These are <strong>your</strong> figures"),
        "the page must say whose figures it shows"
    );
    assert_eq!(
        std::fs::read(repo_root().join("book/build/your-machine/speedup.svg")).unwrap(),
        std::fs::read(out.join("speedup.svg")).unwrap()
    );
    // Rebuild with the defaults so the next reader of book/build sees the right page.
    let _ = xtask()
        .args(["book", "build"])
        .env("WOW_LAB_DIR", out.join("none"))
        .output();
    let _ = std::fs::remove_dir_all(&out);
}

/// Waiting needs no free core (timing-tests.md, point 5): 10,000 tasks that each wait
/// 100 ms finish within 1.2x of one wait, a ratio measured in this run (the best of
/// its runs, since noise only adds time). Its structural twin: all 10,000 were
/// waiting at the same instant, in every run.
fn ten_thousand_waits_take_about_one_wait(waits: &Value) {
    let wait_ms = waits["wait_ms"].as_f64().unwrap();
    assert_eq!(wait_ms, 100.0, "the lab's waits are 100 ms");
    for row in waits["rows"].as_array().unwrap() {
        assert_eq!(
            row["tasks_most_waiting"], row["jobs"],
            "every task must be waiting at once: {row}"
        );
    }
    let last = waits["rows"].as_array().unwrap().last().unwrap();
    assert_eq!(last["jobs"], 10_000);
    let best = last["tasks"]["min_ms"].as_f64().unwrap() / wait_ms;
    assert!(
        best <= 1.2,
        "10,000 tokio tasks waiting 100 ms each took {best:.2}x one wait (best of 3 runs), \
         more than 1.2x: {last}"
    );
}

/// The report and the page say which Python build was measured, and whether the GIL
/// was on; they agree with what the interpreter says about itself.
fn the_python_build_is_reported(python: &Value, out: &std::path::Path) {
    let probe = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, sysconfig; \
             print(bool(sysconfig.get_config_var('Py_GIL_DISABLED')), \
             getattr(sys, '_is_gil_enabled', lambda: True)())",
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&probe.stdout);
    let (free_threaded, gil) = said.trim().split_once(' ').expect("two booleans");
    assert_eq!(
        python["free_threaded_build"].as_bool(),
        Some(free_threaded == "True"),
        "{python}"
    );
    assert_eq!(
        python["gil_enabled"].as_bool(),
        Some(gil == "True"),
        "{python}"
    );
    let page = std::fs::read_to_string(out.join("figures.md")).unwrap();
    let build = if free_threaded == "True" {
        "free-threaded build"
    } else {
        "the default build, **with the GIL**"
    };
    assert!(
        page.contains(build),
        "the page must name the build:\n{page}"
    );
    // A speedup above the cores is never shown without saying why.
    let most = python["jobs"]
        .as_f64()
        .unwrap()
        .min(python["cores"].as_f64().unwrap());
    let best = python["processes_speedup"]
        .as_f64()
        .unwrap()
        .max(python["threads_speedup"].as_f64().unwrap());
    assert_eq!(
        best > most,
        page.contains("**Above the limit.**"),
        "{python}\n{page}"
    );
}

/// `cargo xtask lab` runs in the dev profile: the crates it times must be optimised
/// there (the tests above run a binary built with `[profile.test]`, optimised
/// throughout, so only the manifest can tell). Each must also be in the build, or
/// cargo warns about the override.
#[test]
fn the_crates_the_lab_times_are_optimised_in_the_dev_profile() {
    let manifest: toml_edit::DocumentMut = std::fs::read_to_string(repo_root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let lock = std::fs::read_to_string(repo_root().join("Cargo.lock")).unwrap();
    for package in [
        "test-support",
        "tokio",
        "mio",
        "parking_lot",
        "parking_lot_core",
        "lock_api",
        "rayon",
        "rayon-core",
        "crossbeam-deque",
        "crossbeam-epoch",
        "crossbeam-utils",
    ] {
        let opt = manifest["profile"]["dev"]["package"][package]["opt-level"].as_integer();
        assert_eq!(
            opt,
            Some(3),
            "[profile.dev.package.{package}] opt-level = 3 is missing from Cargo.toml"
        );
        assert!(
            lock.contains(&format!("name = \"{package}\"\n")),
            "{package} is no longer in Cargo.lock: drop its profile override"
        );
    }
}
