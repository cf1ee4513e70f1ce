//! Given code (you do not need to change it): a tiny image format and the computing
//! step of the pipeline.
//!
//! Images are grey, 8 bits per pixel, stored as *binary PGM* (`P5`), a real format
//! that most image viewers open:
//!
//! ```text
//! P5\n<width> <height>\n255\n<width * height bytes, one per pixel, row by row>
//! ```
//!
//! An image whose header does not match its length (say `64 64` and 100 bytes of
//! pixels) is corrupt: [`Image::decode`] says so instead of guessing.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::ThreadId;

/// A grey image, one byte per pixel, row by row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// Why some bytes are not an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// The bytes do not start with the `P5` magic of binary PGM.
    NotPgm,
    /// The header is not `P5 <width> <height> 255` (the message says what is wrong).
    BadHeader(String),
    /// The header promises `width * height` bytes of pixels, but another number follows.
    WrongLength {
        width: u32,
        height: u32,
        expected: usize,
        found: usize,
    },
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageError::NotPgm => write!(f, "not a PGM image: it does not start with `P5`"),
            ImageError::BadHeader(why) => write!(f, "bad PGM header: {why}"),
            ImageError::WrongLength {
                width,
                height,
                expected,
                found,
            } => write!(
                f,
                "corrupt image: the header says {width}x{height} ({expected} bytes of \
                 pixels) but {found} bytes follow"
            ),
        }
    }
}

impl std::error::Error for ImageError {}

impl Image {
    /// A deterministic test picture (gradients and noise) of the given size; the same
    /// `seed` always gives the same pixels.
    pub fn generate(seed: u64, width: u32, height: u32) -> Image {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut pixels = Vec::with_capacity(width as usize * height as usize);
        for y in 0..height {
            for x in 0..width {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let gradient = (x * 255 / width.max(1) + y * 255 / height.max(1)) / 2;
                pixels.push((gradient as u8).wrapping_add((state % 32) as u8));
            }
        }
        Image {
            width,
            height,
            pixels,
        }
    }

    /// The image as binary PGM bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!("P5\n{} {}\n255\n", self.width, self.height).into_bytes();
        out.extend_from_slice(&self.pixels);
        out
    }

    /// Parses binary PGM bytes (no comments, maximum value 255). A header that does
    /// not match the number of pixel bytes is an error, never a guess.
    pub fn decode(bytes: &[u8]) -> Result<Image, ImageError> {
        if !bytes.starts_with(b"P5") {
            return Err(ImageError::NotPgm);
        }
        // Four whitespace-separated fields, then exactly one whitespace byte.
        let mut fields = Vec::new();
        let mut i = 0;
        while fields.len() < 4 {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if start == i {
                return Err(ImageError::BadHeader("the header ends too early".into()));
            }
            fields.push(String::from_utf8_lossy(&bytes[start..i]).into_owned());
        }
        if i >= bytes.len() {
            return Err(ImageError::BadHeader("no pixels after the header".into()));
        }
        let pixels = &bytes[i + 1..];
        let number = |text: &str, what: &str| -> Result<u32, ImageError> {
            text.parse::<u32>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| ImageError::BadHeader(format!("{what} is {text:?}")))
        };
        let width = number(&fields[1], "the width")?;
        let height = number(&fields[2], "the height")?;
        if fields[3] != "255" {
            return Err(ImageError::BadHeader(format!(
                "the maximum value is {:?}, only 255 is supported",
                fields[3]
            )));
        }
        let expected = width as usize * height as usize;
        if pixels.len() != expected {
            return Err(ImageError::WrongLength {
                width,
                height,
                expected,
                found: pixels.len(),
            });
        }
        Ok(Image {
            width,
            height,
            pixels: pixels.to_vec(),
        })
    }

    /// A 64-bit FNV-1a checksum of the size and the pixels: equal images, equal sums.
    pub fn checksum(&self) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let size = [self.width.to_le_bytes(), self.height.to_le_bytes()].concat();
        for &byte in size.iter().chain(&self.pixels) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        hash
    }
}

/// The computing step: smooths the image with `passes` passes of a 3x3 box blur
/// (more passes, more CPU time: a stand-in for a heavier filter), then halves each
/// side by averaging 2x2 blocks (a side of 1 pixel stays 1).
///
/// This keeps a core busy for as long as it runs: call it **off** the async
/// runtime's threads.
///
/// # Panics
///
/// Like any code with a bug, it can panic: on an image whose `pixels` do not hold
/// `width * height` bytes (built by hand, not by [`Image::decode`]), and on every
/// image of the size a test chose with [`probe::panic_on_size`].
pub fn thumbnail(image: &Image, passes: u32) -> Image {
    let _running = probe::enter();
    if probe::panics_on(image.width, image.height) {
        panic!(
            "thumbnail: cannot resize a {}x{} image (a panic planted by the tests with \
             `probe::panic_on_size`)",
            image.width, image.height
        );
    }
    let (w, h) = (image.width as usize, image.height as usize);
    let mut pixels = image.pixels.clone();
    let mut next = vec![0u8; pixels.len()];
    for _ in 0..passes {
        blur(&pixels, &mut next, w, h);
        std::mem::swap(&mut pixels, &mut next);
    }
    let (tw, th) = ((w / 2).max(1), (h / 2).max(1));
    let mut small = Vec::with_capacity(tw * th);
    for y in 0..th {
        for x in 0..tw {
            let (x0, y0) = ((2 * x).min(w - 1), (2 * y).min(h - 1));
            let (x1, y1) = ((2 * x + 1).min(w - 1), (2 * y + 1).min(h - 1));
            let sum: u32 = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]
                .iter()
                .map(|&(x, y)| u32::from(pixels[y * w + x]))
                .sum();
            small.push((sum / 4) as u8);
        }
    }
    Image {
        width: tw as u32,
        height: th as u32,
        pixels: small,
    }
}

#[inline(never)]
fn blur(from: &[u8], to: &mut [u8], w: usize, h: usize) {
    for y in 0..h {
        for x in 0..w {
            let mut sum = 0u32;
            for dy in [-1isize, 0, 1] {
                for dx in [-1isize, 0, 1] {
                    let yy = (y as isize + dy).clamp(0, h as isize - 1) as usize;
                    let xx = (x as isize + dx).clamp(0, w as isize - 1) as usize;
                    sum += u32::from(from[yy * w + xx]);
                }
            }
            to[y * w + x] = (sum / 9) as u8;
        }
    }
}

/// What the tests observe about [`thumbnail`], without a clock: how many run right
/// now, and on which threads they ran; and a fault the tests can plant in it.
/// (Process-wide state: the tests that use it take turns.)
pub mod probe {
    use super::*;

    static RUNNING: AtomicUsize = AtomicUsize::new(0);
    static THREADS: Mutex<Vec<ThreadId>> = Mutex::new(Vec::new());
    static PANIC_ON: Mutex<Option<(u32, u32)>> = Mutex::new(None);
    static SPANS: Mutex<Vec<(std::time::Instant, std::time::Instant)>> = Mutex::new(Vec::new());

    /// Held while one `thumbnail` runs, since when.
    pub(crate) struct Running(std::time::Instant);

    pub(crate) fn enter() -> Running {
        RUNNING.fetch_add(1, Ordering::SeqCst);
        let id = std::thread::current().id();
        let mut threads = THREADS.lock().unwrap_or_else(|p| p.into_inner());
        if !threads.contains(&id) {
            threads.push(id);
        }
        Running(std::time::Instant::now())
    }

    impl Drop for Running {
        fn drop(&mut self) {
            RUNNING.fetch_sub(1, Ordering::SeqCst);
            let span = (self.0, std::time::Instant::now());
            SPANS.lock().unwrap_or_else(|p| p.into_inner()).push(span);
        }
    }

    /// When each `thumbnail` since the last [`reset`] began and ended (for the
    /// grader's timeline pictures).
    pub fn spans() -> Vec<(std::time::Instant, std::time::Instant)> {
        SPANS.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// How many `thumbnail` calls are running at this instant.
    pub fn thumbnails_running() -> usize {
        RUNNING.load(Ordering::SeqCst)
    }

    /// The distinct threads that ran `thumbnail` since the last [`reset`].
    pub fn thumbnail_threads() -> Vec<ThreadId> {
        THREADS.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// From now until the next [`reset`], every [`thumbnail`] of an image of exactly
    /// `width` x `height` pixels panics, as a bug in an image library would.
    pub fn panic_on_size(width: u32, height: u32) {
        *PANIC_ON.lock().unwrap_or_else(|p| p.into_inner()) = Some((width, height));
    }

    pub(crate) fn panics_on(width: u32, height: u32) -> bool {
        *PANIC_ON.lock().unwrap_or_else(|p| p.into_inner()) == Some((width, height))
    }

    /// Forgets the threads seen so far and the planted panic.
    pub fn reset() {
        THREADS.lock().unwrap_or_else(|p| p.into_inner()).clear();
        SPANS.lock().unwrap_or_else(|p| p.into_inner()).clear();
        *PANIC_ON.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}
