//! Which binary of the workspace a template's function runs.
//!
//! - SAM, `Metadata: BuildMethod: rust-cargolambda`: `CodeUri` is the directory of a cargo
//!   package; the function runs `Metadata.BuildProperties.Binary`, else the package's one
//!   binary. The binary is the workspace's local build (`cargo build`), as `sam build` would
//!   build it.
//! - SAM without that build method: a `bootstrap` in `CodeUri`, run as it is.
//! - CloudFormation from CDK (`aws:asset:path` metadata): the asset directory holds a copy of
//!   a build (`bootstrap`) as it was when `cdk synth` ran, so it is not run: the function runs
//!   the binary of the package (the one the tests are in) named after the function's CDK
//!   construct (the `aws:cdk:path` segment before `/Resource`), its `FunctionName` or its
//!   logical id, compared without case, `-` and `_` (`OrdersApi` runs `orders-api`); else the
//!   package's one binary. A package with several binaries and none of those names is an
//!   error that names the fix.
//! - Anything else (`S3Bucket`, `ZipFile`, an image): no code; `lambda-test.toml` gives it.

use std::collections::BTreeSet;
use std::path::Path;

use super::yaml::Node;
use crate::config::definition::{Origin, Sourced};
use crate::config::model::Code;
use crate::config::package_binaries;
use crate::config::resolve::Invalid;

/// The binaries of the package in `dir`, or an error at `origin` saying why there are none.
fn binaries_at(
    dir: &Path,
    origin: &Origin,
    what: &str,
) -> Result<(String, BTreeSet<String>), Invalid> {
    let found = package_binaries(dir).map_err(|e| Invalid::new(origin, format!("{what}: {e}")))?;
    match found {
        Some((package, binaries)) if !binaries.is_empty() => Ok((package, binaries)),
        Some((package, _)) => Err(Invalid::new(
            origin,
            format!(
                "{what}: package `{package}` in {} has no binary to run; add `src/main.rs` or a `[[bin]]`",
                dir.display()
            ),
        )),
        None => Err(Invalid::new(
            origin,
            format!(
                "{what}: the binary cannot be found: {} has no Cargo.toml; point it at the directory of the function's cargo package",
                dir.display()
            ),
        )),
    }
}

/// The code of a SAM function whose resolved `CodeUri` is `code_uri` (relative to the
/// template's directory `base`), with its directory as the task root.
pub(super) fn sam(
    id: &str,
    code_uri: &Sourced<String>,
    metadata: Option<&Node>,
    base: &Path,
) -> Result<Option<(Sourced<Code>, std::path::PathBuf)>, Invalid> {
    if code_uri.value.starts_with("s3://") {
        return Ok(None);
    }
    let dir = base.join(&code_uri.value);
    let build_method = metadata
        .and_then(|m| m.get("BuildMethod"))
        .and_then(Node::as_str);
    if build_method != Some("rust-cargolambda") {
        let bootstrap = dir.join("bootstrap");
        return Ok(bootstrap.is_file().then(|| {
            let code = Code::Bin(bootstrap.to_string_lossy().into_owned());
            (code_uri.clone().map(|_| code), dir)
        }));
    }
    let what = format!("resource `{id}` property `CodeUri` (rust-cargolambda)");
    let (package, binaries) = binaries_at(&dir, &code_uri.origin, &what)?;
    let named = metadata
        .and_then(|m| m.get("BuildProperties"))
        .and_then(|p| p.get("Binary"));
    let binary = match named {
        Some(node) => {
            let name = node.as_str().unwrap_or_default();
            if !binaries.contains(name) {
                return Err(Invalid::new(
                    &node.origin,
                    format!(
                        "resource `{id}`: `BuildProperties.Binary` {name:?} cannot be found: package `{package}` has no such binary (its binaries: {}); name one of them",
                        list(&binaries)
                    ),
                ));
            }
            Sourced {
                value: name.to_owned(),
                origin: node.origin.clone(),
            }
        }
        None if binaries.len() == 1 => Sourced {
            value: binaries.into_iter().next().expect("one"),
            origin: code_uri.origin.clone(),
        },
        None => {
            return Err(Invalid::new(
                &code_uri.origin,
                format!(
                    "{what}: package `{package}` has several binaries ({}); say which this function runs with `Metadata: BuildProperties: Binary: <name>`",
                    list(&binaries)
                ),
            ));
        }
    };
    Ok(Some((binary.map(Code::Bin), dir)))
}

/// The code of a CDK function: the binary of the package in `package_dir` named after one
/// of `names` (construct id, function name, logical id), else its one binary.
pub(super) fn cdk(
    id: &str,
    names: &[&str],
    asset: &Sourced<String>,
    package_dir: &Path,
) -> Result<(Sourced<Code>, std::path::PathBuf), Invalid> {
    let what = format!("resource `{id}` (CDK asset {})", asset.value);
    let (package, binaries) = binaries_at(package_dir, &asset.origin, &what)?;
    let normal = |s: &str| s.replace(['-', '_'], "").to_ascii_lowercase();
    let named = binaries
        .iter()
        .find(|b| names.iter().any(|n| normal(n) == normal(b)));
    let binary = match named {
        Some(b) => b.clone(),
        None if binaries.len() == 1 => binaries.iter().next().expect("one").clone(),
        None => {
            return Err(Invalid::new(
                &asset.origin,
                format!(
                    "{what}: package `{package}` has several binaries ({}) and none is named after this function ({}); name the binary after its CDK construct, or set `bin = \"<binary>\"` under [functions.<name>] in lambda-test.toml",
                    list(&binaries),
                    names.join(", ")
                ),
            ));
        }
    };
    Ok((
        asset.clone().map(|_| Code::Bin(binary)),
        package_dir.to_owned(),
    ))
}

fn list(names: &BTreeSet<String>) -> String {
    names.iter().cloned().collect::<Vec<_>>().join(", ")
}
