//! `cargo xtask web-test`: opens every page of the built book in a real browser
//! (headless Chromium driven through ChromeDriver's WebDriver API), fails on a broken
//! image or a console error, runs one search, and saves a screenshot of the first page
//! of every part to `target/web-test/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without
//! them the test is reported as not checked, with the reason, never as passed.

use crate::book;
use crate::course::Course;
use crate::runner::kill_group;
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
    session.stop();
    let faults = result?;
    if faults.is_empty() {
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
    let mut pages = Vec::new();
    fn walk(root: &Path, dir: &Path, pages: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, pages);
            } else if path.extension().is_some_and(|e| e == "html") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                pages.push(rel);
            }
        }
    }
    walk(site, site, &mut pages);
    pages.sort();
    pages
}

/// The first page of every part of SUMMARY.md (and the title page), as `.html`.
fn part_openers(course: &Course) -> Result<Vec<(String, String)>> {
    let summary = std::fs::read_to_string(course.root.join("book/src/SUMMARY.md"))?;
    let mut openers = vec![("title".to_string(), "index.html".to_string())];
    let mut part: Option<String> = None;
    for line in summary.lines() {
        let t = line.trim_start();
        if let Some(title) = t.strip_prefix("# ").filter(|t| *t != "Summary") {
            part = Some(title.to_string());
            continue;
        }
        let link = t
            .split_once("](")
            .and_then(|(_, r)| r.split_once(')'))
            .map(|(l, _)| l);
        if let (Some(title), Some(link)) = (&part, link)
            && !link.is_empty()
        {
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
            openers.push((slug, link.replace(".md", ".html")));
            part = None;
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

    /// One WebDriver call: a minimal HTTP/1.1 client (loopback only, no TLS).
    fn request(&mut self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        self.exchange(method, path, body)
            .with_context(|| format!("WebDriver {method} {path}"))
    }

    fn exchange(&mut self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        // Starting Chromium on a loaded machine can take a while.
        stream.set_read_timeout(Some(Duration::from_secs(180)))?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )?;
        // ChromeDriver keeps the connection open: read the head, then exactly
        // Content-Length bytes (or chunks until the last one).
        let mut raw = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                bail!("WebDriver {method} {path}: the connection closed early");
            }
            raw.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
        let length = head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        });
        let chunked = head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
            || head
                .to_ascii_lowercase()
                .contains("transfer-encoding:chunked");
        let mut body_bytes = raw[head_end + 4..].to_vec();
        loop {
            let complete = match length {
                Some(n) => body_bytes.len() >= n,
                None if chunked => body_bytes.windows(5).any(|w| w == b"0\r\n\r\n"),
                None => false,
            };
            if complete {
                break;
            }
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                break;
            }
            body_bytes.extend_from_slice(&chunk[..n]);
        }
        let text = String::from_utf8_lossy(&body_bytes).into_owned();
        let payload = if chunked { dechunk(&text) } else { text };
        let value: Value = serde_json::from_str(&payload).unwrap_or(Value::Null);
        if !head.starts_with("HTTP/1.1 2") {
            bail!(
                "WebDriver {method} {path}: {}",
                value["value"]["message"].as_str().unwrap_or(&head)
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

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

fn base64_decode(text: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buf = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' => continue,
            _ => bail!("invalid base64 in the screenshot"),
        };
        buf = (buf << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_base64_and_chunks() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(
            dechunk("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
            "hello world"
        );
    }
}
