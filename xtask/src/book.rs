//! `cargo xtask book build|serve|test`: the book, driven through the mdbook crates as
//! a library, so a fresh machine needs nothing but cargo.

use crate::course::Course;
use crate::markdown::heading_ids;
use crate::runner::cargo;
use anyhow::{Context, Result, bail};
use mdbook_driver::MDBook;
use mdbook_driver::book::BookItem;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

#[derive(clap::Subcommand, Debug)]
pub enum BookCommand {
    /// Render the book to HTML in book/build.
    Build,
    /// Build the book, serve it on this machine and rebuild it when a page changes.
    Serve {
        /// Port on 127.0.0.1.
        #[arg(long, default_value_t = 3000)]
        port: u16,
    },
    /// Check the book: every page exists, every exercise is linked, and every Rust
    /// snippet compiles and runs.
    Test,
    /// Print the book to one PDF (an outline, internal links, page numbers) with
    /// headless Chromium, as `web-test` drives it.
    Pdf {
        /// Where to write it [default: target/wait-or-work.pdf].
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
}

pub fn run(command: BookCommand) -> Result<i32> {
    let course = Course::load()?;
    match command {
        BookCommand::Build => {
            let out = build(&course)?;
            println!("book built: {}", out.join("index.html").display());
            Ok(0)
        }
        BookCommand::Serve { port } => serve(&course, port),
        BookCommand::Test => test(&course),
        BookCommand::Pdf { out } => pdf(&course, out),
    }
}

fn pdf(course: &Course, out: Option<PathBuf>) -> Result<i32> {
    let out = out.unwrap_or_else(|| course.target_dir().join("wait-or-work.pdf"));
    if out.is_dir() {
        crate::usage!(
            "{} is a folder; name the PDF to write, e.g. --out {}",
            out.display(),
            out.join("wait-or-work.pdf").display()
        );
    }
    if !crate::web::pdf::browser_found() {
        crate::usage!("{}", crate::web::pdf::NO_BROWSER);
    }
    let site = build(course)?;
    let profile = course.scratch_dir().join("pdf-profile");
    let facts = crate::web::pdf::print_book(&site, &profile, &out)?;
    println!(
        "book pdf: {} pages, {} chapters in its outline, {} internal links: {}",
        facts.pages,
        facts.chapters.len(),
        facts.internal_links,
        out.display()
    );
    Ok(0)
}

pub fn book_dir(course: &Course) -> PathBuf {
    course.root.join("book")
}

/// Renders the book; returns the folder with `index.html`.
///
/// The "Your machine" page shows the figures of `cargo xtask lab` when the reader has
/// run it (from [`Course::lab_dir`]), else the defaults in `book/src/your-machine/`.
/// The pages of the book, in order, as mdBook parsed SUMMARY.md: every chapter that
/// has a file (draft chapters and part titles have none).
pub fn pages(course: &Course) -> Result<Vec<PathBuf>> {
    fn walk(items: &[BookItem], out: &mut Vec<PathBuf>) {
        for item in items {
            if let BookItem::Chapter(chapter) = item {
                out.extend(chapter.path.clone());
                walk(&chapter.sub_items, out);
            }
        }
    }
    let book = MDBook::load(book_dir(course)).context("cannot load the book (book/book.toml)")?;
    let mut out = Vec::new();
    walk(&book.book.items, &mut out);
    Ok(out)
}

pub fn build(course: &Course) -> Result<PathBuf> {
    let mut book =
        MDBook::load(book_dir(course)).context("cannot load the book (book/book.toml)")?;
    let lab = course.lab_dir();
    let own = lab.join("figures.md").is_file();
    book.with_preprocessor(LabFigures {
        figures: if own {
            lab.join("figures.md")
        } else {
            book_dir(course).join("src/your-machine/figures.md")
        },
        own,
    });
    book.build().context("cannot build the book")?;
    let out = book.build_dir_for("html");
    if own {
        let dest = out.join("your-machine");
        std::fs::create_dir_all(&dest)?;
        for chart in ["speedup.svg", "waits.svg", "timeline.svg"] {
            if lab.join(chart).is_file() {
                std::fs::copy(lab.join(chart), dest.join(chart))?;
            }
        }
    }
    Ok(out)
}

/// Replaces `<!-- lab-figures -->` in the book with the lab's tables.
struct LabFigures {
    figures: PathBuf,
    own: bool,
}

impl mdbook_preprocessor::Preprocessor for LabFigures {
    fn name(&self) -> &str {
        "lab-figures"
    }

    fn run(
        &self,
        _ctx: &mdbook_preprocessor::PreprocessorContext,
        mut book: mdbook_driver::book::Book,
    ) -> mdbook_driver::errors::Result<mdbook_driver::book::Book> {
        const MARKER: &str = "<!-- lab-figures -->";
        let tables = std::fs::read_to_string(&self.figures).unwrap_or_else(|_| {
            "No figures yet: run `cargo xtask lab`, then build the book again.\n".to_string()
        });
        let source = if self.own {
            "These are **your** figures, measured by `cargo xtask lab` on this machine \
             (run it again to refresh them, then rebuild the book)."
        } else {
            "These figures come from the machine that built this copy of the book. Run \
             `cargo xtask lab`, then `cargo xtask book build` (or `serve`), to see your own."
        };
        book.for_each_chapter_mut(|chapter| {
            if chapter.content.contains(MARKER) {
                chapter.content = chapter
                    .content
                    .replace(MARKER, &format!("{source}\n\n{tables}"));
            }
        });
        Ok(book)
    }
}

fn serve(course: &Course, port: u16) -> Result<i32> {
    let out = build(course)?;
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
        anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e}; pick another with --port")
    })?;
    println!(
        "serving the book at http://127.0.0.1:{port}/ (Ctrl-C to stop); pages are rebuilt when book/src changes"
    );

    // Rebuild on change: poll the sources' modification times (no extra dependency,
    // and good enough for a person editing a page).
    let src = book_dir(course).join("src");
    let watched_course = course.clone();
    std::thread::spawn(move || {
        let mut last = newest_change(&src);
        loop {
            std::thread::sleep(Duration::from_millis(700));
            let now = newest_change(&src);
            if now > last {
                last = now;
                match build(&watched_course) {
                    Ok(_) => eprintln!("rebuilt the book"),
                    Err(e) => eprintln!("error: {e:#}"),
                }
            }
        }
    });

    serve_files(listener, out);
    Ok(0)
}

fn newest_change(dir: &Path) -> SystemTime {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.metadata().ok()?.modified().ok())
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Serves the files under `root` on `listener`: a thread per connection and one
/// request per connection (`Connection: close`), so that a browser's idle keep-alive
/// connections can never hold up another request.
pub fn serve_files(listener: std::net::TcpListener, root: PathBuf) {
    for stream in listener.incoming().flatten() {
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = answer(stream, &root);
        });
    }
}

fn answer(mut stream: std::net::TcpStream, root: &Path) -> std::io::Result<()> {
    use std::io::{Read, Write};
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.split_whitespace().nth(1).unwrap_or("/");
    let (status, body, kind) = match load(root, target) {
        Some((body, kind)) => ("200 OK", body, kind),
        None => (
            "404 Not Found",
            b"not found".to_vec(),
            "text/plain; charset=utf-8",
        ),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)?;
    stream.flush()
}

/// A file from the built book and its content type, or `None` for a 404.
pub fn load(root: &Path, url: &str) -> Option<(Vec<u8>, &'static str)> {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let decoded = percent_decode(path);
    let mut file = root.to_path_buf();
    for part in decoded.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            continue;
        }
        file.push(part);
    }
    if file.is_dir() {
        file.push("index.html");
    }
    let bytes = std::fs::read(&file).ok()?;
    Some((bytes, content_type(&file)))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css",
        "js" => "application/javascript",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn test(course: &Course) -> Result<i32> {
    let mut faults = consistency_faults(course)?;
    let externs = snippet_libraries(course)?;
    faults.extend(test_snippets(course, &externs)?);
    // The reference timelines the pages show: still what the solutions draw.
    faults.extend(crate::timelines::regenerate(
        course,
        &crate::timelines::committed(course),
        true,
    )?);
    if faults.is_empty() {
        println!(
            "book ok: every page exists, every exercise is linked, every snippet compiles and runs"
        );
        Ok(0)
    } else {
        for f in &faults {
            println!("{f}");
        }
        println!("book test: {} problem(s)", faults.len());
        Ok(1)
    }
}

/// Pages and links that must hold between the book and the exercises.
fn consistency_faults(course: &Course) -> Result<Vec<String>> {
    let mut faults = Vec::new();
    // Loading fails on a SUMMARY.md entry without its file (`create-missing = false`).
    let book = MDBook::load(book_dir(course)).context("cannot load the book (book/book.toml)")?;
    let src = book.source_dir();
    for e in &course.exercises {
        // Every exercise is named on a page of its chapter's folder (`chNN-*`).
        let chapter_dirs: Vec<PathBuf> = std::fs::read_dir(&src)?
            .flatten()
            .map(|d| d.path())
            .filter(|p| {
                p.is_dir()
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(&format!("ch{}-", e.chapter)))
            })
            .collect();
        let needle = format!("exercises/{}", e.rel.to_string_lossy());
        let linked = chapter_dirs.iter().any(|dir| {
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .any(|f| std::fs::read_to_string(f.path()).is_ok_and(|text| text.contains(&needle)))
        });
        if chapter_dirs.is_empty() {
            faults.push(format!(
                "exercise {} has no chapter folder book/src/ch{}-*/",
                e.id(),
                e.chapter
            ));
        } else if !linked {
            faults.push(format!(
                "exercise {} ({needle}) is not mentioned on any page of its chapter",
                e.id()
            ));
        }
    }
    faults.extend(link_faults(&src));
    Ok(faults)
}

/// Every relative link between the book's pages (and to its pictures) resolves,
/// anchors included, and no link leaves `book/src/` (it would break online).
fn link_faults(src: &Path) -> Vec<String> {
    let mut pages = Vec::new();
    collect_md(src, &mut pages);
    let mut faults = Vec::new();
    for page in &pages {
        let Ok(text) = std::fs::read_to_string(page) else {
            continue;
        };
        let rel_page = page.strip_prefix(src).unwrap_or(page).display().to_string();
        for link in markdown_links(&text) {
            if link.contains("://") || link.starts_with("mailto:") || link.is_empty() {
                continue;
            }
            let (path, anchor) = match link.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (link.as_str(), None),
            };
            let target = if path.is_empty() {
                page.clone()
            } else {
                page.parent().expect("a page has a folder").join(path)
            };
            let Ok(target) = target.canonicalize() else {
                faults.push(format!("book/src/{rel_page}: broken link `{link}`"));
                continue;
            };
            if !target.starts_with(src.canonicalize().unwrap_or_else(|_| src.to_path_buf())) {
                faults.push(format!(
                    "book/src/{rel_page}: link `{link}` leaves the book (it breaks online; name the path in `code` instead)"
                ));
                continue;
            }
            if let Some(anchor) = anchor
                && target.extension().is_some_and(|e| e == "md")
            {
                let ids = heading_ids(&std::fs::read_to_string(&target).unwrap_or_default());
                if !ids.iter().any(|id| id == anchor) {
                    faults.push(format!(
                        "book/src/{rel_page}: link `{link}` names no heading of its page"
                    ));
                }
            }
        }
    }
    faults
}

fn collect_md(dir: &Path, out: &mut Vec<PathBuf>) {
    out.extend(
        walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
            .map(|e| e.into_path()),
    );
}

/// The targets of the links and images of a page (code blocks and spans hold none),
/// as pulldown-cmark (the parser mdBook renders with) reads them.
fn markdown_links(text: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Parser, Tag};
    Parser::new(text)
        .filter_map(|event| match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                Some(dest_url.into_string())
            }
            _ => None,
        })
        .collect()
}

/// `--extern` arguments for the crates snippets may use, built by `book-snippet-deps`.
fn snippet_libraries(course: &Course) -> Result<Vec<String>> {
    eprintln!("building the crates the book's snippets use (tokio, tokio-util, rayon)...");
    let output = Command::new(cargo())
        .args(["build", "-p", "book-snippet-deps", "--message-format=json"])
        .env("CARGO_TARGET_DIR", course.target_dir())
        .current_dir(&course.root)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo")?;
    if !output.status.success() {
        bail!("cannot build book/snippet-deps");
    }
    let mut args = Vec::new();
    let mut deps_dir = None;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        let name = msg["target"]["name"].as_str().unwrap_or("");
        if !["tokio", "tokio_util", "rayon"].contains(&name) {
            continue;
        }
        if let Some(rlib) = msg["filenames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str())
            .find(|f| f.ends_with(".rlib"))
        {
            args.push(format!("--extern={name}={rlib}"));
            deps_dir = Path::new(rlib).parent().map(Path::to_path_buf);
        }
    }
    let deps_dir = deps_dir.context("cargo reported no tokio or rayon library")?;
    args.push(format!("-Ldependency={}", deps_dir.display()));
    Ok(args)
}

/// Runs `rustdoc --test` on every chapter, as `mdbook test` does, with `externs`.
fn test_snippets(course: &Course, externs: &[String]) -> Result<Vec<String>> {
    struct NoRender;
    impl mdbook_renderer::Renderer for NoRender {
        fn name(&self) -> &str {
            "test"
        }
        fn render(&self, _: &mdbook_renderer::RenderContext) -> mdbook_driver::errors::Result<()> {
            Ok(())
        }
    }
    let book = MDBook::load(book_dir(course))?;
    let edition = book
        .config
        .rust
        .edition
        .map(|e| format!("{e:?}").trim_start_matches('E').to_string())
        .unwrap_or_else(|| "2021".to_string());
    let (preprocessed, _) = book.preprocess_book(&NoRender)?;
    let temp = course.scratch_dir().join("book-test");
    let _ = std::fs::remove_dir_all(&temp);
    let mut faults = Vec::new();
    for item in preprocessed.iter() {
        let BookItem::Chapter(chapter) = item else {
            continue;
        };
        let Some(path) = chapter.path.as_ref().filter(|p| !p.as_os_str().is_empty()) else {
            continue;
        };
        if !chapter.content.contains("```rust") {
            continue;
        }
        let file = temp.join(path);
        std::fs::create_dir_all(file.parent().expect("a chapter file has a folder"))?;
        std::fs::write(&file, &chapter.content)?;
        eprintln!("testing the snippets of {}", path.display());
        let output = Command::new("rustdoc")
            .arg(&file)
            .arg("--test")
            .arg("--edition")
            .arg(&edition)
            .args(externs)
            .current_dir(&temp)
            .output()
            .context("cannot run rustdoc")?;
        if !output.status.success() {
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            eprintln!("{stdout}{stderr}");
            faults.push(format!(
                "book/src/{}: a snippet does not compile or fails (output above)",
                path.display()
            ));
        }
    }
    Ok(faults)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_outside_code_only() {
        let page = "See [a](a.md#x) and `[b](b.md)`.\n```\n[c](c.md)\n```\n![pic](img/p.svg \"title\")\n\
             A [reference][r] and a [two-line\nlink](d.md).\n\n    [e](indented-code.md)\n\n\
             [r]: r.md#y\n";
        assert_eq!(
            markdown_links(page),
            ["a.md#x", "img/p.svg", "r.md#y", "d.md"]
        );
    }
}
