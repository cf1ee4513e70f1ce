//! Folder walks, through walkdir: the files below a folder, relative to it and sorted,
//! with a filter that prunes whole folders (build output, hidden folders) on the way.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Every file below `dir` whose path (and every folder on the way to it) `keep`
/// accepts, relative to `dir`, sorted. `keep` sees each entry's name.
pub fn files(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let walk = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        // The root itself is always walked, whatever its name.
        .filter_entry(|e| e.depth() == 0 || keep(&e.file_name().to_string_lossy()));
    for entry in walk {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        if entry.file_type().is_file() {
            out.push(
                entry
                    .path()
                    .strip_prefix(dir)
                    .expect("walkdir stays below its root")
                    .to_path_buf(),
            );
        }
    }
    Ok(out)
}

/// What belongs to an exercise's sources: not build output, not insta's pending
/// snapshots.
pub fn is_source(name: &str) -> bool {
    name != "target" && !name.ends_with(".snap.new") && !name.ends_with(".pending-snap")
}

/// A path as `a/b/c`, on every platform.
pub fn slashed(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prunes_folders_and_keeps_paths_relative_and_sorted() {
        let dir = std::env::temp_dir().join(format!("wow-walk-{}", std::process::id()));
        for f in [
            "b.rs",
            "a/x.rs",
            "target/debug/y",
            "tests/snapshots/s.snap.new",
        ] {
            let path = dir.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let found = files(&dir, is_source).unwrap();
        assert_eq!(found, [PathBuf::from("a/x.rs"), PathBuf::from("b.rs")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
