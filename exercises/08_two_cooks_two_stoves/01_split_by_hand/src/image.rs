//! Given, not part of the exercise: a grayscale image, a generator that needs no
//! download, and the blur kernel that every band of rows runs.

use std::hint::black_box;

/// A grayscale image: `height` rows of `width` pixels, row after row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

/// How far the blur reaches: each output pixel is the mean of the
/// `(2 * RADIUS + 1)²` pixels around it (clamped at the edges).
pub const RADIUS: usize = 4;

/// A mixing function on integers: the same input always gives the same output, on
/// every machine, so generated images can be checked against snapshots.
pub fn hash(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    x = x.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    x ^ (x >> 33)
}

/// A deterministic test picture: soft diagonal stripes plus grain, `seed` picks the
/// grain.
pub fn generate(width: usize, height: usize, seed: u64) -> Image {
    let mut pixels = Vec::with_capacity(width * height);
    for y in 0..height {
        for x in 0..width {
            let stripe = ((x + 2 * y) % 64) as u64 * 3;
            let grain = hash(seed ^ ((y as u64) << 32) ^ x as u64) % 64;
            pixels.push((stripe + grain) as u8);
        }
    }
    Image {
        width,
        height,
        pixels,
    }
}

/// The work of one band: blurs the rows `first_row .. first_row + band.len() / width`
/// of `src` into `band` (a slice of whole rows of the output image).
///
/// Never inlined, and its input and output go through `black_box`: the sequential
/// and the parallel side of every timing run exactly the same machine code.
#[inline(never)]
pub fn blur_rows(src: &Image, first_row: usize, band: &mut [u8]) {
    let src = black_box(src);
    let (w, h) = (src.width, src.height);
    if w == 0 {
        return;
    }
    for (dy, row) in band.chunks_mut(w).enumerate() {
        let y = first_row + dy;
        let top = y.saturating_sub(RADIUS);
        let bottom = (y + RADIUS).min(h - 1);
        for (x, out) in row.iter_mut().enumerate() {
            let left = x.saturating_sub(RADIUS);
            let right = (x + RADIUS).min(w - 1);
            let mut sum: u32 = 0;
            for yy in top..=bottom {
                let line = &src.pixels[yy * w..yy * w + w];
                for &p in &line[left..=right] {
                    sum += u32::from(p);
                }
            }
            let count = ((bottom - top + 1) * (right - left + 1)) as u32;
            *out = (sum / count) as u8;
        }
    }
    black_box(band);
}

/// A short fingerprint of some pixels (FNV-1a), for snapshots.
pub fn checksum(pixels: &[u8]) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for &p in pixels {
        h ^= u64::from(p);
        h = h.wrapping_mul(0x0100_0000_01B3);
    }
    h
}
