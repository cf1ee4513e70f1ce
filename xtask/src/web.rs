//! `cargo xtask web-test`: opens every page of the built book in a real browser
//! (headless Chromium driven through ChromeDriver's WebDriver API), fails on a broken
//! image or a console error, runs one search, and saves a screenshot of the first page
//! of every part to `target/web-test/`, and prints the book to PDF there (`book.pdf`,
//! see [`pdf`]).
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without
//! them the test is reported as not checked, with the reason, never as passed.

use crate::book;
use crate::course::Course;
use crate::runner::kill_group;
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod pdf;

/// Exit status of a test that could not run here.
pub const NOT_CHECKED: i32 = 3;

pub fn run() -> Result<i32> {
    let course = Course::load()?;
    let Some((chrome, driver)) = find_browser() else {
        println!(
            "web-test: not checked: chromium and chromedriver not found \
             (apt-get install chromium chromium-driver, or set CHROME and CHROMEDRIVER)"
        );
        return Ok(NOT_CHECKED);
    };
    let site = book::build(&course)?;
    let pages = html_pages(&site);
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot listen on loopback")?;
    let base = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
    let site_for_server = site.clone();
    std::thread::spawn(move || book::serve_files(listener, site_for_server));

    let shots = course.target_dir().join("web-test");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots)?;
    let profile = shots.join("profile");
    let mut session = Session::start(&driver, &chrome, &profile)?;
    let result = check_pages(
        &mut session,
        &base,
        &site,
        &pages,
        &part_openers(&course)?,
        &shots,
    );
    let printed = pdf::print(&mut session, &base);
    session.stop();
    let mut faults = result?;
    let expected = book::pages(&course)?.len();
    let (pdf_faults, printed) = pdf::check(expected, printed, &shots.join("book.pdf"))?;
    faults.extend(pdf_faults);
    if faults.is_empty() {
        println!("web-test: {printed}");
        println!(
            "web-test ok: {} pages opened in Chromium with no broken image or console error; \
             search works; screenshots in {}",
            pages.len(),
            shots.display()
        );
        Ok(0)
    } else {
        for f in &faults {
            println!("{f}");
        }
        println!("web-test: {} problem(s)", faults.len());
        Ok(1)
    }
}

fn find_browser() -> Option<(PathBuf, PathBuf)> {
    let find = |var: &str, names: &[&str]| -> Option<PathBuf> {
        if let Some(p) = std::env::var_os(var) {
            return Some(PathBuf::from(p));
        }
        names
            .iter()
            .map(|n| Path::new("/usr/bin").join(n))
            .find(|p| p.is_file())
    };
    Some((
        find("CHROME", &["chromium", "chromium-browser", "google-chrome"])?,
        find("CHROMEDRIVER", &["chromedriver"])?,
    ))
}

/// Every HTML page of the built site, relative to it.
fn html_pages(site: &Path) -> Vec<String> {
    crate::walk::files(site, |_| true)
        .unwrap_or_default()
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .map(|p| crate::walk::slashed(p))
        .collect()
}

/// The first page of every part of the book (and the title page), as `.html`: from
/// the book as mdBook parsed its SUMMARY.md.
fn part_openers(course: &Course) -> Result<Vec<(String, String)>> {
    use mdbook_driver::book::BookItem;
    let book = mdbook_driver::MDBook::load(course.root.join("book"))
        .context("cannot load the book (book/book.toml)")?;
    let mut openers = vec![("title".to_string(), "index.html".to_string())];
    let mut part: Option<String> = None;
    for item in &book.book.items {
        match item {
            BookItem::PartTitle(title) => part = Some(title.clone()),
            BookItem::Chapter(chapter) => {
                if let (Some(title), Some(path)) = (part.take(), &chapter.path) {
                    let slug: String = title
                        .chars()
                        .map(|c| {
                            if c.is_ascii_alphanumeric() {
                                c.to_ascii_lowercase()
                            } else {
                                '-'
                            }
                        })
                        .collect();
                    openers.push((slug, crate::walk::slashed(&path.with_extension("html"))));
                }
            }
            BookItem::Separator => {}
        }
    }
    Ok(openers)
}

fn check_pages(
    session: &mut Session,
    base: &str,
    site: &Path,
    pages: &[String],
    openers: &[(String, String)],
    shots: &Path,
) -> Result<Vec<String>> {
    let mut faults = Vec::new();
    let mut offline = 0;
    for page in pages {
        session.open(&format!("{base}/{page}"))?;
        let broken = session.script(
            "return Array.from(document.images)\
               .filter(i => !i.complete || i.naturalWidth === 0)\
               .map(i => i.getAttribute('src'));",
        )?;
        for src in broken.as_array().into_iter().flatten() {
            faults.push(format!(
                "{page}: broken image {}",
                src.as_str().unwrap_or("?")
            ));
        }
        for entry in session.console_errors()? {
            if is_offline_noise(&entry) {
                offline += 1;
            } else {
                faults.push(format!("{page}: console error: {entry}"));
            }
        }
    }
    if offline > 0 {
        println!(
            "web-test: ignored {offline} console message(s) caused by this machine having no \
             internet (the playground at play.rust-lang.org, the browser's default favicon.ico)"
        );
    }
    // One search, typed into the search box as a reader would.
    session.open(&format!("{base}/index.html"))?;
    session.click("#mdbook-search-toggle")?;
    session.type_into("#mdbook-searchbar", "thread")?;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut hits = 0;
    while Instant::now() < deadline {
        hits = session
            .script("return document.querySelectorAll('#mdbook-searchresults li').length;")?
            .as_u64()
            .unwrap_or(0);
        if hits > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    if hits == 0 {
        faults.push(
            "search for `thread` found nothing (is search enabled in book.toml?)".to_string(),
        );
    }
    for (name, page) in openers {
        if !site.join(page).is_file() {
            faults.push(format!(
                "the first page of part `{name}` ({page}) was not built"
            ));
            continue;
        }
        session.open(&format!("{base}/{page}"))?;
        let png = session.screenshot()?;
        std::fs::write(shots.join(format!("{name}.png")), png)?;
    }
    Ok(faults)
}

/// A ChromeDriver process and one browser session.
struct Session {
    driver: Child,
    port: u16,
    id: String,
}

impl Session {
    fn start(driver: &Path, chrome: &Path, profile: &Path) -> Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut cmd = Command::new(driver);
        cmd.arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so that Chromium goes with it (see `stop`).
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", driver.display()))?;
        let mut session = Session {
            driver: child,
            port,
            id: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while session.request("GET", "/status", None).is_err() {
            if Instant::now() > deadline {
                session.stop();
                bail!("chromedriver did not start on port {port}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:loggingPrefs": { "browser": "ALL" },
                "goog:chromeOptions": {
                    "binary": chrome,
                    // The closed network refuses Chromium's background connections:
                    // turn them off so that they do not show up as errors.
                    "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu",
                        "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--window-size=1280,900",
                        format!("--user-data-dir={}", profile.display()),
                    ]
                }
            }}
        });
        let created = session.request("POST", "/session", Some(caps))?;
        session.id = created["value"]["sessionId"]
            .as_str()
            .context("chromedriver created no session")?
            .to_string();
        Ok(session)
    }

    fn stop(&mut self) {
        if !self.id.is_empty() {
            let _ = self.request("DELETE", &format!("/session/{}", self.id), None);
        }
        kill_group(&mut self.driver);
    }

    fn open(&mut self, url: &str) -> Result<()> {
        self.request(
            "POST",
            &format!("/session/{}/url", self.id),
            Some(json!({ "url": url })),
        )?;
        Ok(())
    }

    fn script(&mut self, body: &str) -> Result<Value> {
        let v = self.request(
            "POST",
            &format!("/session/{}/execute/sync", self.id),
            Some(json!({ "script": body, "args": [] })),
        )?;
        Ok(v["value"].clone())
    }

    fn element(&mut self, css: &str) -> Result<String> {
        let v = self.request(
            "POST",
            &format!("/session/{}/element", self.id),
            Some(json!({ "using": "css selector", "value": css })),
        )?;
        v["value"]
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(|id| id.as_str())
            .map(String::from)
            .with_context(|| format!("no element `{css}` on the page"))
    }

    fn click(&mut self, css: &str) -> Result<()> {
        let id = self.element(css)?;
        self.request(
            "POST",
            &format!("/session/{}/element/{id}/click", self.id),
            Some(json!({})),
        )?;
        Ok(())
    }

    fn type_into(&mut self, css: &str, text: &str) -> Result<()> {
        let id = self.element(css)?;
        self.request(
            "POST",
            &format!("/session/{}/element/{id}/value", self.id),
            Some(json!({ "text": text })),
        )?;
        Ok(())
    }

    /// Console messages at level SEVERE since the last call (errors, failed loads).
    fn console_errors(&mut self) -> Result<Vec<String>> {
        let v = self.request(
            "POST",
            &format!("/session/{}/se/log", self.id),
            Some(json!({ "type": "browser" })),
        )?;
        Ok(v["value"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or("").to_string())
            .collect())
    }

    fn screenshot(&mut self) -> Result<Vec<u8>> {
        let v = self.request("GET", &format!("/session/{}/screenshot", self.id), None)?;
        let b64 = v["value"].as_str().context("no screenshot data")?;
        base64_decode(b64)
    }

    /// One WebDriver call, over loopback HTTP (minreq: a small blocking client that
    /// handles lengths and chunked bodies, without TLS or an async runtime).
    fn request(&mut self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        self.exchange(method, path, body)
            .with_context(|| format!("WebDriver {method} {path}"))
    }

    fn exchange(&mut self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        let request = match method {
            "GET" => minreq::get(url),
            "POST" => minreq::post(url),
            "DELETE" => minreq::delete(url),
            other => bail!("no WebDriver call uses the method {other}"),
        }
        // Starting Chromium on a loaded machine can take a while.
        .with_timeout(180);
        let request = match body {
            Some(body) => request.with_json(&body)?,
            None => request,
        };
        let response = request.send()?;
        let value: Value = response.json().unwrap_or(Value::Null);
        if !(200..300).contains(&response.status_code) {
            bail!(
                "HTTP {}: {}",
                response.status_code,
                value["value"]["message"]
                    .as_str()
                    .unwrap_or(&response.reason_phrase)
            );
        }
        Ok(value)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        kill_group(&mut self.driver);
    }
}

/// Console errors that say nothing about the book: the playground cannot be reached
/// from a machine without internet (the book's script then reports the failed fetch),
/// and a page without an icon link makes the browser ask for `/favicon.ico`.
fn is_offline_noise(message: &str) -> bool {
    message.contains("https://play.rust-lang.org/")
        || (message.contains("Uncaught TypeError: Failed to fetch") && message.contains("/book-"))
        || message.contains("/favicon.ico - Failed to load resource")
}

fn base64_decode(text: &str) -> Result<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .context("invalid base64 from WebDriver")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_base64() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert!(base64_decode("not base64!").is_err());
    }
}
