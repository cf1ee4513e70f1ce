//! `cargo xtask lab --quick`: the report's structure and the chart files (measured
//! numbers redacted), and the book page that shows them.

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
    let output = xtask()
        .args(["lab", "--quick", "--json"])
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
    assert_eq!(jobs, [10, 100, 1000]);
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
