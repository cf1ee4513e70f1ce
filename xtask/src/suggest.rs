//! "Did you mean ...?": the nearest valid choices for a mistyped name.

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
                distance(&given_lower, &c_lower)
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

/// Levenshtein distance over chars.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
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
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
