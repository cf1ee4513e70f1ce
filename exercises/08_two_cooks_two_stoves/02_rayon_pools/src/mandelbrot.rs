//! Given, not part of the exercise: a Mandelbrot renderer, one row at a time.
//!
//! Rows near the set take many more iterations than rows far from it, so the work
//! is uneven: a good fit for rayon's work stealing.

use std::hint::black_box;

/// Which part of the complex plane to render, and how finely.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    pub width: usize,
    pub height: usize,
    /// Iterations before a point counts as inside the set.
    pub max_iter: u16,
}

impl View {
    /// The classic picture of the whole set at `width x height` pixels.
    pub fn classic(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            max_iter: 500,
        }
    }
}

/// The work of one row: for each pixel of row `y`, how many iterations it took to
/// escape (`view.max_iter` if it never did). `row` holds `view.width` pixels.
///
/// Never inlined, input and output through `black_box`: the sequential and the
/// parallel side of every timing run exactly the same machine code.
#[inline(never)]
pub fn render_row(view: &View, y: usize, row: &mut [u16]) {
    let view = black_box(view);
    let (x0, x1, y0, y1) = (-2.2_f64, 0.8_f64, -1.2_f64, 1.2_f64);
    let ci = y0 + (y1 - y0) * (y as f64 + 0.5) / view.height.max(1) as f64;
    for (x, out) in row.iter_mut().enumerate() {
        let cr = x0 + (x1 - x0) * (x as f64 + 0.5) / view.width.max(1) as f64;
        let (mut zr, mut zi) = (0.0_f64, 0.0_f64);
        let mut n = 0;
        while n < view.max_iter && zr * zr + zi * zi <= 4.0 {
            let t = zr * zr - zi * zi + cr;
            zi = 2.0 * zr * zi + ci;
            zr = t;
            n += 1;
        }
        *out = n;
    }
    black_box(row);
}

/// Draws iteration counts as characters, denser for more iterations.
pub fn ascii(view: &View, pixels: &[u16]) -> String {
    let shades = [' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'];
    let mut s = String::new();
    for row in pixels.chunks(view.width.max(1)) {
        for &n in row {
            // One shade per doubling of the iteration count; the set itself is '@'.
            let i = if n >= view.max_iter {
                shades.len() - 1
            } else {
                ((n as u32 + 1).ilog2() as usize).min(shades.len() - 2)
            };
            s.push(shades[i]);
        }
        s.push('\n');
    }
    s
}
