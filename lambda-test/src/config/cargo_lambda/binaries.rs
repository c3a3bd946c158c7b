//! A package's binary targets, found as cargo finds them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::BinTarget;

/// The binary targets of a package, as cargo finds them.
pub(super) fn binaries(
    dir: &Path,
    package: &str,
    autobins: Option<bool>,
    declared: &[BinTarget],
) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut paths = BTreeSet::new();
    for bin in declared {
        // Cargo names a `[[bin]]` without a name after its path's file, or the package for
        // `src/main.rs`.
        let name = bin.name.clone().or_else(|| {
            let path = Path::new(bin.path.as_deref()?);
            if path == Path::new("src/main.rs") {
                return Some(package.to_owned());
            }
            Some(path.file_stem()?.to_str()?.to_owned())
        });
        if let Some(path) = &bin.path {
            paths.insert(PathBuf::from(path));
        }
        names.extend(name);
    }
    if autobins == Some(false) {
        return names;
    }
    let main = Path::new("src/main.rs");
    if dir.join(main).is_file() && !paths.contains(main) && !names.contains(package) {
        names.insert(package.to_owned());
    }
    let Ok(entries) = std::fs::read_dir(dir.join("src/bin")) else {
        return names;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let relative = path.strip_prefix(dir).unwrap_or(&path).to_owned();
        let name = if path.extension().is_some_and(|e| e == "rs") && path.is_file() {
            path.file_stem().and_then(|s| s.to_str()).map(str::to_owned)
        } else if path.join("main.rs").is_file() {
            if paths.contains(&relative.join("main.rs")) {
                continue;
            }
            path.file_name().and_then(|s| s.to_str()).map(str::to_owned)
        } else {
            None
        };
        if paths.contains(&relative) {
            continue;
        }
        names.extend(name);
    }
    names
}
