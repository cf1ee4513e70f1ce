//! Given, not part of the exercise: a generated corpus (no download, the same words
//! on every machine) and the per-word work that decides a word's bucket.

use std::hint::black_box;

const SYLLABLES: [&str; 16] = [
    "ka", "to", "ri", "mu", "se", "lo", "na", "pi", "ve", "du", "an", "el", "or", "ish", "th", "qu",
];

fn hash(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    x = x.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    x ^ (x >> 33)
}

/// `words` words of 1 to 4 syllables, separated by single spaces; `seed` picks them.
pub fn generate(words: usize, seed: u64) -> String {
    let mut text = String::with_capacity(words * 7);
    for i in 0..words as u64 {
        if i > 0 {
            text.push(' ');
        }
        let h = hash(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i);
        let syllables = 1 + (h & 3) as usize;
        for k in 0..syllables {
            text.push_str(SYLLABLES[((h >> (8 + 4 * k)) & 15) as usize]);
        }
    }
    text
}

/// How many buckets `word_bucket` uses.
pub const BUCKETS: usize = 12;

/// The per-word work: a stand-in for real text processing (stemming, scoring),
/// which ends by putting the word in one of `BUCKETS` buckets.
///
/// Never inlined, input and output through `black_box`: the sequential and the
/// parallel side of every timing run exactly the same machine code.
#[inline(never)]
pub fn word_bucket(word: &str) -> usize {
    let word = black_box(word);
    let mut x: u64 = 0xCBF2_9CE4_8422_2325;
    for _round in 0..8 {
        for &b in word.as_bytes() {
            x = (x ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
        }
        x ^= x >> 29;
    }
    black_box((x % BUCKETS as u64) as usize)
}
