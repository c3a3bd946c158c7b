//! cargo-lambda's `Cargo.toml` metadata as a [`Source`]: the functions a package deploys with
//! `cargo lambda deploy`, with the memory, timeout and environment they get there.
//!
//! What is read, and how it merges (as cargo-lambda's `cargo-lambda-metadata` does):
//!
//! - A package is a cargo-lambda package when its `Cargo.toml` has `[package.metadata.lambda]`;
//!   `[workspace.metadata.lambda]` alone does not make one (a workspace holds other crates too).
//! - Each binary of the package (its `[[bin]]` targets, `src/main.rs` named after the package,
//!   `src/bin/*.rs` and `src/bin/*/main.rs`) is one function, named as `cargo lambda deploy`
//!   names it: `deploy.name` when set, else the binary's name. `deploy.binary_name` picks
//!   another binary to run.
//! - For a binary `b`, the layers, each overriding the one before key by key:
//!   `[workspace.metadata.lambda]`, then `[workspace.metadata.lambda.bin.b]`, then
//!   `[package.metadata.lambda.bin.b]` when the package has it, else `[package.metadata.lambda]`
//!   (cargo-lambda takes the per-binary table *instead of* the package table, not over it).
//!   This is how `cargo lambda deploy <binary>` reads them; a bare `cargo lambda deploy` in a
//!   one-binary package skips the per-binary tables, so keep such a package's settings in
//!   the package table.
//!   `env` tables merge name by name; `deploy.env`/`env_var` lists replace the whole list.
//! - The environment of a function: the merged `env` tables, then the `deploy.env_file`
//!   (relative to the `Cargo.toml` that names it), then `deploy.env`/`env_var`; later wins.
//! - `deploy` keys that do not change how a function runs locally (`role`, `layers`, `vpc`,
//!   `tags`, `s3_bucket`, remote settings...) and the `build` and `watch` tables are accepted
//!   and ignored; `tracing` is checked (`active` or `passthrough`) and not emulated yet.

mod binaries;
mod layer;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use binaries::binaries;
use layer::{LambdaTable, Layer, Tables, tables};

use super::Source;
use super::definition::{Definitions, FunctionDefinition, Origin, SettingsDefinition, Sourced};
use super::model::Code;
use super::resolve::Invalid;
use super::toml_source::TomlSource;
use crate::Error;

/// Where cargo-lambda's configuration keys are documented, for error messages.
const DOCS: &str = "https://www.cargo-lambda.info/guide/configuration.html";

/// A package's `Cargo.toml` with cargo-lambda metadata, and its workspace root's.
#[derive(Debug, Clone)]
pub(crate) struct CargoLambdaSource {
    package: TomlSource,
    /// The workspace root's manifest, when it is another file.
    workspace: Option<TomlSource>,
}

/// Whether the manifest at `manifest` declares `[package.metadata.lambda]`: a cargo-lambda
/// package, whose functions the local Lambda can serve with no `lambda-test.toml`.
///
/// A manifest that cannot be read or parsed says no here; [`CargoLambdaSource::discover`]
/// reports what is wrong with it when it is read for its functions.
pub(crate) fn has_lambda_metadata(manifest: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(manifest) else {
        return false;
    };
    if !may_have_metadata(&text) {
        return false;
    }
    let Ok(table) = text.parse::<toml::Table>() else {
        return false;
    };
    table
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("lambda"))
        .is_some()
}

/// Whether a manifest's text can declare a `[package.metadata.*]` table at all: it names the
/// key `metadata`, literally or through a basic string's escapes (`"met\u0061data"`).
///
/// Every test process asks twice (the target's package setting, cargo-lambda's functions), and
/// a debug-built parse of the manifest was all of the first and a quarter of loading the config
/// (BENCHMARKS.md, "nextest's floor"): a package without metadata, the usual one beside a
/// `lambda-test.toml`, is not parsed at all.
pub(crate) fn may_have_metadata(text: &str) -> bool {
    text.contains("metadata") || text.contains("\\u") || text.contains("\\U")
}

impl CargoLambdaSource {
    /// The cargo-lambda source of the package in `package_dir`, if its `Cargo.toml` has
    /// `[package.metadata.lambda]`; with its workspace root's `Cargo.toml` (the nearest
    /// ancestor with `[workspace]`, or the one `package.workspace` names).
    pub(crate) fn discover(package_dir: &Path) -> Result<Option<Self>, Error> {
        let manifest = package_dir.join("Cargo.toml");
        if !has_lambda_metadata(&manifest) {
            return Ok(None);
        }
        let package = read(&manifest)?;
        let workspace = workspace_root(&package)?
            .map(|root| read(&root.join("Cargo.toml")))
            .transpose()?;
        Ok(Some(Self { package, workspace }))
    }
}

/// The name and binaries of the package whose `Cargo.toml` is in `dir`, as cargo finds them
/// (for a template whose code is a cargo package); `None` when `dir` has no `Cargo.toml`.
pub(crate) fn package_binaries(dir: &Path) -> Result<Option<(String, BTreeSet<String>)>, Error> {
    let manifest_path = dir.join("Cargo.toml");
    if !manifest_path.is_file() {
        return Ok(None);
    }
    let file = read(&manifest_path)?;
    let manifest = parse(&file)?;
    let Some(package) = manifest.package else {
        return Ok(None);
    };
    let found = binaries(dir, &package.name, package.autobins, &manifest.bin);
    Ok(Some((package.name, found)))
}

fn read(manifest: &Path) -> Result<TomlSource, Error> {
    let text = std::fs::read_to_string(manifest).map_err(|source| Error::ConfigRead {
        path: manifest.to_owned(),
        source,
    })?;
    Ok(TomlSource::new(text, manifest))
}

/// The directory of the workspace root of `package`, when it is not the package itself.
fn workspace_root(package: &TomlSource) -> Result<Option<PathBuf>, Error> {
    let table: toml::Table = package
        .text()
        .parse()
        .map_err(|e: toml::de::Error| package.invalid(e.span(), e.message().to_owned()))?;
    if table.contains_key("workspace") {
        return Ok(None);
    }
    let dir = package.dir();
    if let Some(root) = table
        .get("package")
        .and_then(|p| p.get("workspace"))
        .and_then(toml::Value::as_str)
    {
        return Ok(Some(dir.join(root)));
    }
    for ancestor in dir.ancestors().skip(1) {
        let Ok(text) = std::fs::read_to_string(ancestor.join("Cargo.toml")) else {
            continue;
        };
        if text
            .parse::<toml::Table>()
            .is_ok_and(|t| t.contains_key("workspace"))
        {
            return Ok(Some(ancestor.to_owned()));
        }
    }
    Ok(None)
}

/// The parts of a `Cargo.toml` this source reads; everything else is cargo's business.
#[derive(Deserialize)]
struct Manifest {
    package: Option<Package>,
    workspace: Option<Workspace>,
    #[serde(default)]
    bin: Vec<BinTarget>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    autobins: Option<bool>,
    metadata: Option<Metadata>,
}

#[derive(Deserialize)]
struct Workspace {
    metadata: Option<Metadata>,
}

#[derive(Deserialize)]
struct Metadata {
    lambda: Option<Spanned<LambdaTable>>,
}

/// `[[bin]]`.
#[derive(Deserialize)]
struct BinTarget {
    name: Option<String>,
    path: Option<String>,
}

impl Source for CargoLambdaSource {
    fn definitions(&self) -> Result<Definitions, Error> {
        let manifest = parse(&self.package)?;
        let Some(package) = manifest.package else {
            return Err(self.package.invalid(
                Some(0..0),
                "`[package.metadata.lambda]` needs a `[package]`".into(),
            ));
        };
        let Some(lambda) = package.metadata.and_then(|m| m.lambda) else {
            return Ok(Definitions::default());
        };
        let package_tables = tables(&self.package, "package", lambda)?;
        let workspace_tables = self.workspace_tables(manifest.workspace)?;
        let dir = self.package.dir();
        let binaries = binaries(&dir, &package.name, package.autobins, &manifest.bin);
        check_bin_tables(&package.name, &package_tables, &binaries)?;
        let mut functions: BTreeMap<String, FunctionDefinition> = BTreeMap::new();
        for bin in &binaries {
            let (layer, origin) = merged(bin, workspace_tables.as_ref(), &package_tables);
            let (name, origin) = match &layer.name {
                Some(name) => (name.value.clone(), name.origin.clone()),
                None => (bin.clone(), origin.clone()),
            };
            if let Some(other) = functions.get(&name) {
                return Err(Invalid::new(
                    &origin,
                    format!(
                        "two binaries of package `{}` deploy as function `{name}` (the other is declared at line {}); give each its own `name` under `[package.metadata.lambda.bin.<binary>.deploy]`",
                        package.name, other.origin.line
                    ),
                )
                .into());
            }
            let function = function(&layer, bin, &origin, &dir)?;
            functions.insert(name, function);
        }
        Ok(Definitions {
            functions,
            ..Definitions::default()
        })
    }
}

impl CargoLambdaSource {
    /// `[workspace.metadata.lambda]` of the workspace root; without a file of its own, the
    /// workspace is the package manifest's `[workspace]`.
    fn workspace_tables(&self, own: Option<Workspace>) -> Result<Option<Tables>, Error> {
        let workspace_lambda = match &self.workspace {
            Some(root) => parse(root)?
                .workspace
                .and_then(|w| w.metadata?.lambda)
                .map(|l| (root, l)),
            None => own
                .and_then(|w| w.metadata?.lambda)
                .map(|l| (&self.package, l)),
        };
        Ok(workspace_lambda
            .map(|(file, lambda)| tables(file, "workspace", lambda))
            .transpose()?)
    }
}

/// The package has a binary, and each `bin.<name>` table names one of them.
fn check_bin_tables(
    package: &str,
    tables: &Tables,
    binaries: &BTreeSet<String>,
) -> Result<(), Invalid> {
    if binaries.is_empty() {
        return Err(Invalid::new(
            &tables.origin,
            format!(
                "`[package.metadata.lambda]`: package `{package}` has no binary to run as a function; add `src/main.rs` or a `[[bin]]`"
            ),
        ));
    }
    for (bin, (origin, _)) in &tables.bins {
        if !binaries.contains(bin) {
            return Err(Invalid::new(
                origin,
                format!(
                    "`[package.metadata.lambda.bin.{bin}]`: package `{package}` has no binary `{bin}` (its binaries: {}); name the table after one of them, or add the `[[bin]]`",
                    binaries.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// The layers of binary `bin` merged in cargo-lambda's order, and where its own table is.
fn merged<'a>(bin: &str, workspace: Option<&Tables>, package: &'a Tables) -> (Layer, &'a Origin) {
    let mut layer = Layer::default();
    if let Some(workspace) = workspace {
        layer.over(&workspace.settings);
        if let Some((_, per_bin)) = workspace.bins.get(bin) {
            layer.over(per_bin);
        }
    }
    let (origin, own) = package
        .bins
        .get(bin)
        .map_or((&package.origin, &package.settings), |(o, l)| (o, l));
    layer.over(own);
    (layer, origin)
}

fn parse(file: &TomlSource) -> Result<Manifest, Error> {
    let table = toml::de::DeTable::parse(file.text()).map_err(|e| {
        file.invalid(
            e.span(),
            format!("TOML parse error: {}; fix the syntax", e.message()),
        )
    })?;
    Manifest::deserialize(toml::de::Deserializer::from(table)).map_err(|e| {
        // Without the input, toml renders the dotted key path as a last line "in `a.b`".
        let rendered = e.to_string();
        let keys = rendered
            .lines()
            .last()
            .and_then(|l| l.strip_prefix("in `")?.strip_suffix('`'))
            .map(|k| format!("`{k}`: "))
            .unwrap_or_default();
        file.invalid(
            e.span(),
            format!(
                "{keys}{}; fix the value (cargo-lambda's keys: {DOCS})",
                e.message()
            ),
        )
    })
}

/// The function of binary `bin` with the merged `layer`; `origin` is where it is declared.
fn function(
    layer: &Layer,
    bin: &str,
    origin: &Origin,
    dir: &Path,
) -> Result<FunctionDefinition, Invalid> {
    let mut environment = layer.env.clone();
    if let Some(env_file) = &layer.env_file {
        environment.extend(read_env_file(env_file)?);
    }
    for item in layer.env_var.iter().flatten() {
        let (key, value) = item
            .value
            .split_once('=')
            .map(|(k, v)| (k.trim(), v.trim()))
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
            .ok_or_else(|| {
                Invalid::new(
                    &item.origin,
                    format!(
                        "`deploy.env` item {:?} is not KEY=value (cargo-lambda refuses it too); write it like \"{}=value\"",
                        item.value,
                        item.value.trim().trim_end_matches('=')
                    ),
                )
            })?;
        environment.insert(key.to_owned(), value.to_owned());
    }
    let code = match &layer.binary_name {
        Some(binary) => binary.clone().map(Code::Bin),
        None => Sourced {
            value: Code::Bin(bin.to_owned()),
            origin: origin.clone(),
        },
    };
    let mut function = FunctionDefinition::new(origin.clone());
    function.latest = SettingsDefinition {
        code: Some(code),
        code_dir: Some(dir.to_owned()),
        timeout: layer.timeout.clone(),
        memory_size: layer.memory.clone(),
        environment,
        ..SettingsDefinition::default()
    };
    Ok(function)
}

/// The variables of a `.env` file: `KEY=value` lines, `#` comments, an optional `export `,
/// values optionally in single or double quotes.
fn read_env_file(file: &Sourced<PathBuf>) -> Result<Vec<(String, String)>, Invalid> {
    let path = &file.value;
    let text = std::fs::read_to_string(path).map_err(|e| {
        Invalid::new(
            &file.origin,
            format!(
                "`deploy.env_file`: cannot read {}: {e}; create it, or fix the path (relative to the Cargo.toml that names it)",
                path.display()
            ),
        )
    })?;
    let env_path: Arc<Path> = Arc::from(path.as_path());
    let mut vars = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let parsed = line.split_once('=').and_then(|(key, value)| {
            let key = key.trim();
            let value = value.trim();
            let unquoted = ['"', '\'']
                .iter()
                .find_map(|q| value.strip_prefix(*q)?.strip_suffix(*q))
                .unwrap_or(value);
            let valid = !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
            valid.then(|| (key.to_owned(), unquoted.to_owned()))
        });
        let Some(var) = parsed else {
            let origin = Origin {
                file: Arc::clone(&env_path),
                line: index + 1,
                column: 1,
            };
            return Err(Invalid::new(
                &origin,
                format!(
                    "{line:?} is not KEY=value (this file is the `deploy.env_file` of {}); write it like KEY=value, or comment it out with #",
                    file.origin.file.display()
                ),
            ));
        };
        vars.push(var);
    }
    Ok(vars)
}
