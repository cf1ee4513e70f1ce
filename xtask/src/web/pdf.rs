//! The book as a PDF: mdBook's print page (every chapter on one page) printed by the
//! headless Chromium that `web-test` drives, with an outline (one entry per chapter,
//! its sections below it), working internal links and page numbers. The print style
//! is `book/theme/print-pdf.css`. `web-test` checks the result with [`facts`].

use super::{Session, base64_decode, find_browser};
use crate::book;
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

/// The one line for a machine without the browser.
pub const NO_BROWSER: &str = "printing the book needs Chromium and ChromeDriver: apt-get install \
                              chromium chromium-driver (or set CHROME and CHROMEDRIVER)";

/// Whether the browser is there (checked before the book is built).
pub fn browser_found() -> bool {
    find_browser().is_some()
}

/// What a printed book holds, read back from the PDF.
#[derive(Debug, Default)]
pub struct Facts {
    pub pages: usize,
    /// The top-level entries of the outline: one per page of the book.
    pub chapters: Vec<String>,
    /// Links to a place in the PDF itself.
    pub internal_links: usize,
    /// Internal links whose destination is not in the PDF.
    pub broken_links: Vec<String>,
}

/// Builds nothing: prints the book already built in `site` to `out`, in a browser
/// session of its own. Returns what the PDF holds.
pub fn print_book(site: &Path, profile: &Path, out: &Path) -> Result<Facts> {
    let Some((chrome, driver)) = find_browser() else {
        bail!("{NO_BROWSER}");
    };
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot listen on loopback")?;
    let base = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
    let root = site.to_path_buf();
    std::thread::spawn(move || book::serve_files(listener, root));
    let mut session = Session::start(&driver, &chrome, profile)?;
    let printed = print(&mut session, &base);
    session.stop();
    write(&printed?, out)
}

/// Writes the PDF to `out` and reads it back.
pub fn write(pdf: &[u8], out: &Path) -> Result<Facts> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    std::fs::write(out, pdf).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(facts(pdf))
}

/// Prints `{base}/print.html` in `session`: the PDF's bytes.
pub(super) fn print(session: &mut Session, base: &str) -> Result<Vec<u8>> {
    // mdBook's print page calls window.print() once loaded; in headless Chromium that
    // print job would block ours ("Page is already being printed").
    session.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": "window.print = function () {};" }),
    )?;
    session.open(&format!("{base}/print.html"))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = session.script(
            "return document.readyState === 'complete' \
               && Array.from(document.images).every(i => i.complete) \
               && document.fonts.status === 'loaded';",
        )?;
        if ready == Value::Bool(true) {
            break;
        }
        if Instant::now() > deadline {
            bail!("print.html did not finish loading in 60 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // Chromium's own printToPDF makes the outline (ChromeDriver passes it on); plain
    // WebDriver printing, without an outline, when that is refused.
    let footer = "<div style=\"width: 100%; font-size: 8px; color: #777; \
                  text-align: center;\"><span class=\"pageNumber\"></span> / \
                  <span class=\"totalPages\"></span></div>";
    let cdp = session.cdp(
        "Page.printToPDF",
        json!({
            "printBackground": true,
            "preferCSSPageSize": true,
            "generateDocumentOutline": true,
            "generateTaggedPDF": true,
            "displayHeaderFooter": true,
            "headerTemplate": "<div></div>",
            "footerTemplate": footer,
        }),
    );
    let b64 = match cdp {
        Ok(v) => v["data"].as_str().map(String::from),
        Err(e) => {
            eprintln!("Chromium's printToPDF failed ({e:#}); printing without an outline");
            session.print_page()?
        }
    };
    let pdf = base64_decode(&b64.context("Chromium returned no PDF")?)?;
    if !pdf.starts_with(b"%PDF-") {
        bail!("Chromium returned something that is not a PDF");
    }
    Ok(pdf)
}

impl Session {
    /// A Chrome DevTools command through ChromeDriver; its result.
    fn cdp(&mut self, cmd: &str, params: Value) -> Result<Value> {
        let v = self.request(
            "POST",
            &format!("/session/{}/goog/cdp/execute", self.id),
            Some(json!({ "cmd": cmd, "params": params })),
        )?;
        Ok(v["value"].clone())
    }

    /// WebDriver's own printing (A4, backgrounds): base64.
    fn print_page(&mut self) -> Result<Option<String>> {
        let v = self.request(
            "POST",
            &format!("/session/{}/print", self.id),
            Some(json!({
                "background": true,
                "page": { "width": 21.0, "height": 29.7 },
                "shrinkToFit": true,
            })),
        )?;
        Ok(v["value"].as_str().map(String::from))
    }
}

/// What `web-test` requires of the printed book, written to `out`: a PDF with one
/// outline entry per page of SUMMARY.md and no internal link that leads nowhere.
/// The faults, and a line saying what was printed.
pub fn check(
    expected: usize,
    printed: Result<Vec<u8>>,
    out: &Path,
) -> Result<(Vec<String>, String)> {
    let pdf = match printed {
        Ok(pdf) => pdf,
        Err(e) => {
            return Ok((
                vec![format!("the book could not be printed to PDF: {e:#}")],
                String::new(),
            ));
        }
    };
    let facts = write(&pdf, out)?;
    let mut faults = Vec::new();
    if facts.pages == 0 {
        faults.push(format!("{}: the PDF has no pages", out.display()));
    }
    if facts.chapters.len() != expected {
        faults.push(format!(
            "{}: {} chapters in the PDF's outline, {expected} pages in SUMMARY.md (a page \
             without a `# ` title, or with two, prints badly)",
            out.display(),
            facts.chapters.len()
        ));
    }
    if facts.internal_links == 0 {
        faults.push(format!("{}: the PDF has no internal links", out.display()));
    }
    for name in facts.broken_links.iter().take(5) {
        faults.push(format!(
            "{}: an internal link to `#{name}` leads nowhere",
            out.display()
        ));
    }
    let line = format!(
        "the book printed to {} pages ({} chapters, {} internal links): {}",
        facts.pages,
        facts.chapters.len(),
        facts.internal_links,
        out.display()
    );
    Ok((faults, line))
}

/// Reads the page count, the outline and the internal links of a PDF as Chromium
/// (Skia) writes it: plain objects, no object streams. Anything it cannot find reads
/// as none.
pub fn facts(pdf: &[u8]) -> Facts {
    let objects = objects(pdf);
    let get = |dict: &str, key: &str| -> Option<String> {
        let at = dict.find(&format!("{key} "))? + key.len() + 1;
        let id = dict[at..].split_whitespace().next()?;
        objects.get(&id.parse::<u32>().ok()?).cloned()
    };
    let mut out = Facts::default();
    let Some(catalog) = objects.values().find(|o| o.contains("/Type /Catalog")) else {
        return out;
    };
    out.pages = get(catalog, "/Pages")
        .and_then(|p| number_after(&p, "/Count"))
        .unwrap_or(0);
    let mut item = get(catalog, "/Outlines").and_then(|o| get(&o, "/First"));
    while let Some(entry) = item {
        out.chapters.push(title(&entry).unwrap_or_default());
        if out.chapters.len() > 100_000 {
            break;
        }
        item = get(&entry, "/Next");
    }
    let names: HashSet<String> = get(catalog, "/Dests")
        .map(|d| {
            d.split('/')
                .filter_map(|part| part.split_once(" ["))
                .map(|(name, _)| name.to_string())
                .collect()
        })
        .unwrap_or_default();
    for o in objects.values().filter(|o| o.contains("/Subtype /Link")) {
        let Some(at) = o.find("/Dest /") else {
            continue;
        };
        let name: String = o[at + 7..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !"/[]<>()".contains(*c))
            .collect();
        out.internal_links += 1;
        if !names.contains(&name) {
            out.broken_links.push(name);
        }
    }
    out
}

/// Each object's dictionary text (up to its stream, if any), by object number.
fn objects(pdf: &[u8]) -> HashMap<u32, String> {
    let mut out = HashMap::new();
    let marker = b" 0 obj";
    let mut i = 0;
    while let Some(pos) = find(&pdf[i..], marker).map(|p| p + i) {
        i = pos + marker.len();
        let start = pdf[..pos]
            .iter()
            .rposition(|b| !b.is_ascii_digit())
            .map_or(0, |p| p + 1);
        if start == pos || (start > 0 && !matches!(pdf[start - 1], b'\n' | b'\r')) {
            continue;
        }
        let Ok(id) = std::str::from_utf8(&pdf[start..pos])
            .unwrap_or("")
            .parse::<u32>()
        else {
            continue;
        };
        let rest = &pdf[i..];
        let end = find(rest, b"endobj").unwrap_or(rest.len());
        // The dictionary only: a stream's data is not text. (A name may hold the
        // word, as in `/downstream`: a stream starts right after `>>`.)
        let end = stream_start(&rest[..end]).unwrap_or(end);
        out.insert(id, String::from_utf8_lossy(&rest[..end]).into_owned());
    }
    out
}

/// Where the keyword `stream` follows a dictionary's closing `>>`.
fn stream_start(object: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = find(&object[from..], b"stream").map(|p| p + from) {
        let before = object[..at].trim_ascii_end();
        if before.ends_with(b">>") && matches!(object.get(at + 6), Some(b'\r' | b'\n')) {
            return Some(at);
        }
        from = at + 6;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn number_after(dict: &str, key: &str) -> Option<usize> {
    let at = dict.find(&format!("{key} "))? + key.len() + 1;
    dict[at..].split_whitespace().next()?.parse().ok()
}

/// An outline entry's `/Title`: a literal string `(...)` or UTF-16 in hex `<FEFF...>`.
fn title(dict: &str) -> Option<String> {
    let at = dict.find("/Title ")? + 7;
    let rest = &dict[at..];
    if let Some(hex) = rest.strip_prefix('<') {
        let hex = &hex[..hex.find('>')?];
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
            .collect();
        let units: Vec<u16> = bytes
            .chunks(2)
            .skip(1) // the byte order mark
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        return Some(String::from_utf16_lossy(&units));
    }
    let mut out = String::new();
    let mut chars = rest.strip_prefix('(')?.chars();
    let mut depth = 0;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => break,
            },
            '(' => {
                depth += 1;
                out.push(c);
            }
            ')' if depth == 0 => break,
            ')' => {
                depth -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pages_outline_and_links() {
        let pdf = b"%PDF-1.4\n\
            1 0 obj\n<</Type /Catalog\n/Pages 2 0 R\n/Dests 3 0 R\n/Outlines 4 0 R>>\nendobj\n\
            2 0 obj\n<</Type /Pages\n/Count 7\n/Kids [9 0 R]>>\nendobj\n\
            3 0 obj\n<</intro [9 0 R /XYZ 0 0 0]\n/downstream [9 0 R /XYZ 0 2 0]\n\
            /why-not [9 0 R /XYZ 0 5 0]>>\nendobj\n\
            4 0 obj\n<</Type /Outlines\n/First 5 0 R\n/Count 2>>\nendobj\n\
            5 0 obj\n<</Title (Intro \\(one\\))\n/Next 6 0 R>>\nendobj\n\
            6 0 obj\n<</Title <FEFF0041006D006400610068006C2019>>>\nendobj\n\
            7 0 obj\n<</Type /Annot\n/Subtype /Link\n/Dest /intro>>\nendobj\n\
            8 0 obj\n<</Type /Annot\n/Subtype /Link\n/Dest /gone>>\nendobj\n\
            11 0 obj\n<</Type /Annot\n/Subtype /Link\n/Dest /why-not>>\nendobj\n\
            10 0 obj\n<</Length 3>> stream\n0 0 obj\nendstream\nendobj\n";
        let facts = facts(pdf);
        assert_eq!(facts.pages, 7);
        assert_eq!(facts.chapters, ["Intro (one)", "Amdahl\u{2019}"]);
        assert_eq!(facts.internal_links, 3);
        assert_eq!(facts.broken_links, ["gone"]);
    }
}
