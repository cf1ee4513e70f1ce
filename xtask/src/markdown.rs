//! What the tool knows of Markdown as mdBook renders it, shared by `book test` and
//! the tidy test (`xtask/tests/tidy.rs` compiles this file too): the anchors a page
//! has, for links like `page.md#anchor` and the `book` of an exercise's manifest.

/// The ids mdBook gives a page's headings: lower case, spaces to `-`, only letters,
/// digits, `-` and `_` kept; repeats get `-1`, `-2`, ...
pub fn heading_ids(text: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let mut bases: Vec<String> = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let id: String = title
            .chars()
            .filter_map(|c| {
                if c.is_alphanumeric() || c == '_' || c == '-' {
                    Some(c.to_lowercase().next().unwrap_or(c))
                } else if c.is_whitespace() {
                    Some('-')
                } else {
                    None
                }
            })
            .collect();
        let repeats = bases.iter().filter(|b| **b == id).count();
        ids.push(if repeats == 0 {
            id.clone()
        } else {
            format!("{id}-{repeats}")
        });
        bases.push(id);
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_ids_follow_mdbook() {
        let page =
            "# Exercises\n## Exercise 01/02 `four_jobs`\n```\n# not a heading\n```\n## Exercises\n";
        assert_eq!(
            heading_ids(page),
            ["exercises", "exercise-0102-four_jobs", "exercises-1"]
        );
    }
}
