//! "Did you mean ...?": the nearest valid choices for a mistyped name (edit distance
//! from strsim, the crate clap already uses for its own suggestions).

/// Up to `count` choices closest to `given` by edit distance, best first; only those
/// close enough to be a plausible typo (or that contain `given`).
pub fn nearest(given: &str, choices: &[String], count: usize) -> Vec<String> {
    let given_lower = given.to_lowercase();
    let mut scored: Vec<(usize, &String)> = choices
        .iter()
        .map(|c| {
            let c_lower = c.to_lowercase();
            let d = if c_lower.contains(&given_lower) || given_lower.contains(&c_lower) {
                0
            } else {
                strsim::levenshtein(&given_lower, &c_lower)
            };
            (d, c)
        })
        .filter(|(d, c)| *d <= (c.len().max(given.len()) / 2).max(2))
        .collect();
    scored.sort_by_key(|(d, c)| (*d, c.len()));
    let mut out: Vec<String> = Vec::new();
    for (_, c) in scored {
        if !out.contains(c) {
            out.push(c.clone());
        }
        if out.len() == count {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos() {
        let choices: Vec<String> = ["check", "verify", "book", "ci"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(nearest("chek", &choices, 2), vec!["check"]);
        assert_eq!(nearest("zzzzzzzz", &choices, 2), Vec::<String>::new());
    }
}
