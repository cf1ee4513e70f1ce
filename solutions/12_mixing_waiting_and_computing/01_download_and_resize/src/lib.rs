//! # 12/01 Download and resize: waiting and computing in one pipeline
//!
//! Each file is first *downloaded* (waiting: async, a few at a time) and then
//! *resized* (computing: a core's worth of work, on rayon). Done one stage after the
//! other, the batch takes the download time **plus** the compute time. Done as a
//! pipeline, the downloads go on while earlier images are being resized, and the
//! batch takes about the **larger** of the two.
//!
//! Given code, in modules you do not need to change: [`http::get`] (the waiting
//! step), [`image::thumbnail`] (the computing step, plus the PGM format) and
//! [`server`] (the loopback HTTP server the tests start).
//!
//! Book: `book/src/ch12-mixing-waiting-and-computing/pipeline.md`

pub mod http;
pub mod image;
pub mod server;

use http::FetchError;
use image::{Image, ImageError};
use std::any::Any;
use std::fmt;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// What to download, how, and where the thumbnails go.
#[derive(Clone, Debug)]
pub struct Config {
    /// The HTTP server; file `name` is at `http://<server>/<name>`.
    pub server: SocketAddr,
    /// The files to fetch, e.g. `"cat.pgm"`. Each thumbnail is written to
    /// `out_dir/<name>`.
    pub names: Vec<String>,
    /// The most downloads in progress at the same time (at least 1).
    pub max_downloads: usize,
    /// Blur passes of [`image::thumbnail`]: more passes, more computing.
    pub passes: u32,
    /// An existing folder for the thumbnails.
    pub out_dir: PathBuf,
}

/// A configuration the pipeline refuses to start with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// `max_downloads` is 0: nothing could ever be downloaded.
    NoDownloads,
    /// `out_dir` does not exist or is not a folder.
    NotAFolder(PathBuf),
    /// A name that is not a plain file name (empty, or with `/`, `\` or `..`).
    BadName(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NoDownloads => write!(
                f,
                "max_downloads is 0: at least one download must be allowed at a time"
            ),
            ConfigError::NotAFolder(path) => write!(
                f,
                "the output folder {} does not exist or is not a folder",
                path.display()
            ),
            ConfigError::BadName(name) => write!(
                f,
                "bad file name {name:?}: use a plain name, without '/', '\\' or '..'"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Given: checks the configuration before anything starts.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_downloads == 0 {
            return Err(ConfigError::NoDownloads);
        }
        if !self.out_dir.is_dir() {
            return Err(ConfigError::NotAFolder(self.out_dir.clone()));
        }
        if let Some(bad) = self
            .names
            .iter()
            .find(|n| n.is_empty() || n.contains(['/', '\\']) || n.contains(".."))
        {
            return Err(ConfigError::BadName(bad.clone()));
        }
        Ok(())
    }
}

/// Why one file produced no thumbnail. The other files are not affected.
#[derive(Debug)]
pub enum FileError {
    /// The download failed: a 404, a body cut short, a connection error.
    Download(FetchError),
    /// The bytes arrived but are not a valid image.
    Image(ImageError),
    /// The resize panicked (a bug in the computing step); the panic's message.
    Resize(String),
    /// The thumbnail could not be written to the output folder.
    Write(std::io::Error),
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Download(e) => write!(f, "download failed: {e}"),
            FileError::Image(e) => write!(f, "{e}"),
            FileError::Resize(message) => write!(f, "the resize panicked: {message}"),
            FileError::Write(e) => write!(f, "cannot write the thumbnail: {e}"),
        }
    }
}

impl std::error::Error for FileError {}

/// One thumbnail, written to `path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumbnail {
    pub width: u32,
    pub height: u32,
    /// [`Image::checksum`] of the thumbnail.
    pub checksum: u64,
    pub path: PathBuf,
}

/// What became of one file.
#[derive(Debug)]
pub struct FileReport {
    pub name: String,
    pub result: Result<Thumbnail, FileError>,
}

/// What became of every file, **in the order of `Config::names`**.
#[derive(Debug)]
pub struct Report {
    pub files: Vec<FileReport>,
}

/// Given: the message of a panic, from the payload that `std::panic::catch_unwind`
/// (or a thread's `join`) returns.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// Runs [`image::thumbnail`] on rayon's thread pool and waits for the result
/// **without blocking** the async runtime: while the image is being resized, the
/// runtime's thread is free to drive the downloads.
///
/// A resize that panics is `Err` with the panic's message ([`panic_message`]). The
/// panic must be caught inside the closure given to `rayon::spawn`: a panic that
/// escapes it has no caller to go back to, and rayon then **aborts the whole
/// process** (unless the pool was built with a `panic_handler`), every other file
/// with it.
pub async fn thumbnail_on_rayon(image: Image, passes: u32) -> Result<Image, String> {
    let (done, result) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        // A panic must not leave this closure: rayon would abort the process. Catch
        // it here and send it back as this image's error.
        let resized = std::panic::catch_unwind(AssertUnwindSafe(|| {
            image::thumbnail(&image, passes)
        }))
        .map_err(|payload| panic_message(payload.as_ref()));
        // The receiver may be gone if the caller was cancelled: nothing to do then.
        let _ = done.send(resized);
    });
    // Every path through the closure sends: a closed channel means the pool itself
    // dropped the job.
    result
        .await
        .unwrap_or_else(|_| Err("the rayon pool dropped the resize".to_string()))
}

/// Downloads every file of `config.names` from `config.server`, at most
/// `config.max_downloads` at a time (a download starts as soon as a permit is free:
/// a slow one holds up no other), resizes each image with
/// [`thumbnail_on_rayon`] as soon as it has arrived (while other downloads go on),
/// and writes each thumbnail (PGM, [`Image::encode`]) to `config.out_dir/<name>`.
///
/// A file that fails (404, body cut short, corrupt image, a resize that panics,
/// write error) gets its error in the report, and the others still finish. A bad
/// configuration is an `Err` before anything starts ([`Config::validate`]).
pub async fn download_and_resize(config: &Config) -> Result<Report, ConfigError> {
    config.validate()?;
    let permits = Arc::new(Semaphore::new(config.max_downloads));
    let mut tasks = JoinSet::new();
    for (index, name) in config.names.iter().enumerate() {
        let permits = Arc::clone(&permits);
        let (server, name, passes) = (config.server, name.clone(), config.passes);
        let path = config.out_dir.join(&name);
        tasks.spawn(async move {
            let result = one_file(server, &name, passes, path, &permits).await;
            (index, FileReport { name, result })
        });
    }
    let mut files: Vec<Option<FileReport>> = config.names.iter().map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        let (index, report) = joined.expect("a pipeline task panicked");
        files[index] = Some(report);
    }
    Ok(Report {
        files: files.into_iter().map(|f| f.expect("every task reported")).collect(),
    })
}

/// Download (waiting, bounded by the semaphore), resize (computing, on rayon), write.
async fn one_file(
    server: SocketAddr,
    name: &str,
    passes: u32,
    path: PathBuf,
    permits: &Semaphore,
) -> Result<Thumbnail, FileError> {
    let bytes = {
        let _permit = permits.acquire().await.expect("the semaphore is never closed");
        http::get(server, name).await.map_err(FileError::Download)?
    }; // the permit goes back here: the next download may start while we resize
    let image = Image::decode(&bytes).map_err(FileError::Image)?;
    let small = thumbnail_on_rayon(image, passes)
        .await
        .map_err(FileError::Resize)?;
    tokio::fs::write(&path, small.encode())
        .await
        .map_err(FileError::Write)?;
    Ok(Thumbnail {
        width: small.width,
        height: small.height,
        checksum: small.checksum(),
        path,
    })
}
