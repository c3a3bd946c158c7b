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

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

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
    let Ok(table) = text.parse::<toml::Table>() else {
        return false;
    };
    table
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("lambda"))
        .is_some()
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

/// `[package.metadata.lambda]` or `[workspace.metadata.lambda]`.
#[derive(Deserialize)]
struct LambdaTable {
    // Not a flattened `SettingsTable`: flatten buffers the values, which loses their spans.
    #[serde(default)]
    env: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    deploy: Option<DeployTable>,
    #[serde(default)]
    bin: BTreeMap<Spanned<String>, SettingsTable>,
}

/// The keys a lambda table and a per-binary table share (`build` and `watch` are ignored).
#[derive(Deserialize, Default)]
struct SettingsTable {
    #[serde(default)]
    env: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    deploy: Option<DeployTable>,
}

/// `deploy`: the keys that matter locally; every other key of cargo-lambda's is ignored.
/// Values are taken as any TOML value and checked here, so that a wrong type is answered
/// with the key, its valid values and an example.
#[derive(Deserialize)]
struct DeployTable {
    memory: Option<Spanned<toml::Value>>,
    timeout: Option<Spanned<toml::Value>>,
    #[serde(alias = "env")]
    env_var: Option<Spanned<EnvVars>>,
    env_file: Option<Spanned<toml::Value>>,
    tracing: Option<Spanned<toml::Value>>,
    name: Option<Spanned<toml::Value>>,
    binary_name: Option<Spanned<toml::Value>>,
}

/// `env = ["K=V"]` or `env = { K = "V" }`.
enum EnvVars {
    List(Vec<Spanned<toml::Value>>),
    Map(Vec<(Spanned<String>, Spanned<toml::Value>)>),
}

// By hand: untagged would lose the spans of the items.
impl<'de> Deserialize<'de> for EnvVars {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = EnvVars;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(r#"a list like ["KEY=value"] or a table like { KEY = "value" }"#)
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<EnvVars, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(EnvVars::List(items))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<EnvVars, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(EnvVars::Map(entries))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// One layer of settings, checked, with where each value was read.
#[derive(Debug, Clone, Default)]
struct Layer {
    env: BTreeMap<String, String>,
    memory: Option<Sourced<u32>>,
    timeout: Option<Sourced<f64>>,
    /// `KEY=value` items as written (a table's entries written so), in order.
    env_var: Option<Vec<Sourced<String>>>,
    /// Absolute.
    env_file: Option<Sourced<PathBuf>>,
    name: Option<Sourced<String>>,
    binary_name: Option<Sourced<String>>,
}

impl Layer {
    /// `over` on top, key by key; `env` merges name by name.
    fn over(&mut self, over: &Layer) {
        fn take<T: Clone>(under: &mut Option<T>, over: &Option<T>) {
            if over.is_some() {
                under.clone_from(over);
            }
        }
        self.env
            .extend(over.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        take(&mut self.memory, &over.memory);
        take(&mut self.timeout, &over.timeout);
        take(&mut self.env_var, &over.env_var);
        take(&mut self.env_file, &over.env_file);
        take(&mut self.name, &over.name);
        take(&mut self.binary_name, &over.binary_name);
    }
}

/// One manifest's lambda table, read into layers.
struct Tables {
    /// Where the lambda table is.
    origin: Origin,
    settings: Layer,
    bins: BTreeMap<String, (Origin, Layer)>,
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
        // Without a file of its own, the workspace is this manifest's `[workspace]`.
        let workspace_lambda = match &self.workspace {
            Some(root) => parse(root)?
                .workspace
                .and_then(|w| w.metadata?.lambda)
                .map(|l| (root, l)),
            None => manifest
                .workspace
                .and_then(|w| w.metadata?.lambda)
                .map(|l| (&self.package, l)),
        };
        let workspace_tables = workspace_lambda
            .map(|(file, lambda)| tables(file, "workspace", lambda))
            .transpose()?;
        let dir = self.package.dir();
        let binaries = binaries(&dir, &package.name, package.autobins, &manifest.bin);
        if binaries.is_empty() {
            return Err(Invalid::new(
                &package_tables.origin,
                format!(
                    "`[package.metadata.lambda]`: package `{}` has no binary to run as a function; add `src/main.rs` or a `[[bin]]`",
                    package.name
                ),
            )
            .into());
        }
        for (bin, (origin, _)) in &package_tables.bins {
            if !binaries.contains(bin) {
                return Err(Invalid::new(
                    origin,
                    format!(
                        "`[package.metadata.lambda.bin.{bin}]`: package `{}` has no binary `{bin}` (its binaries: {}); name the table after one of them, or add the `[[bin]]`",
                        package.name,
                        binaries.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                )
                .into());
            }
        }
        let mut functions: BTreeMap<String, FunctionDefinition> = BTreeMap::new();
        for bin in &binaries {
            let mut layer = Layer::default();
            if let Some(workspace) = &workspace_tables {
                layer.over(&workspace.settings);
                if let Some((_, per_bin)) = workspace.bins.get(bin) {
                    layer.over(per_bin);
                }
            }
            let (origin, own) = package_tables.bins.get(bin).map_or(
                (&package_tables.origin, &package_tables.settings),
                |(o, l)| (o, l),
            );
            layer.over(own);
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

/// The settings of one lambda table and its per-binary tables. `what` is `package` or
/// `workspace`.
fn tables(file: &TomlSource, what: &str, lambda: Spanned<LambdaTable>) -> Result<Tables, Invalid> {
    let origin = file.origin(lambda.span());
    let lambda = lambda.into_inner();
    let table = format!("{what}.metadata.lambda");
    let own = SettingsTable {
        env: lambda.env,
        deploy: lambda.deploy,
    };
    let settings = layer(file, &table, own)?;
    let mut bins = BTreeMap::new();
    for (bin, settings) in lambda.bin {
        let origin = file.origin(bin.span());
        let table = format!("{table}.bin.{}", bin.as_ref());
        bins.insert(bin.into_inner(), (origin, layer(file, &table, settings)?));
    }
    Ok(Tables {
        origin,
        settings,
        bins,
    })
}

/// A table's settings, checked. `table` is its dotted name, for messages.
fn layer(file: &TomlSource, table: &str, settings: SettingsTable) -> Result<Layer, Invalid> {
    let at = |span: Range<usize>, message: String| Invalid::new(&file.origin(span), message);
    let mut layer = Layer::default();
    for (key, value) in settings.env {
        let span = value.span();
        match value.into_inner() {
            toml::Value::String(value) => {
                layer.env.insert(key.into_inner(), value);
            }
            other => {
                return Err(at(
                    span,
                    format!(
                        "`[{table}.env]`: `{}` = {other} must be a string; write {} = \"{}\"",
                        key.as_ref(),
                        key.as_ref(),
                        unquoted(&other)
                    ),
                ));
            }
        }
    }
    let Some(deploy) = settings.deploy else {
        return Ok(layer);
    };
    let deploy_table = format!("[{table}.deploy]");
    if let Some(memory) = deploy.memory {
        let span = memory.span();
        layer.memory = Some(match memory.into_inner() {
            toml::Value::Integer(mb) if (128..=10240).contains(&mb) => Sourced {
                value: mb as u32,
                origin: file.origin(span),
            },
            other => {
                return Err(at(
                    span,
                    format!(
                        "`{deploy_table}`: `memory` = {other} must be a whole number of MB from 128 to 10240, like `memory = 512`"
                    ),
                ));
            }
        });
    }
    if let Some(timeout) = deploy.timeout {
        let span = timeout.span();
        layer.timeout = Some(match timeout.into_inner() {
            toml::Value::Integer(seconds) if (1..=900).contains(&seconds) => Sourced {
                value: seconds as f64,
                origin: file.origin(span),
            },
            other => {
                return Err(at(
                    span,
                    format!(
                        "`{deploy_table}`: `timeout` = {other} must be a whole number of seconds from 1 to 900, like `timeout = 30`"
                    ),
                ));
            }
        });
    }
    if let Some(tracing) = deploy.tracing {
        let span = tracing.span();
        match tracing.into_inner() {
            toml::Value::String(mode)
                if mode.eq_ignore_ascii_case("active")
                    || mode.eq_ignore_ascii_case("passthrough") => {}
            other => {
                return Err(at(
                    span,
                    format!(
                        "`{deploy_table}`: `tracing` = {other} must be \"active\" or \"passthrough\""
                    ),
                ));
            }
        }
    }
    let string = |value: Spanned<toml::Value>, key: &str, example: &str| {
        let span = value.span();
        match value.into_inner() {
            toml::Value::String(s) if !s.is_empty() => Ok(Sourced {
                value: s,
                origin: file.origin(span),
            }),
            other => Err(at(
                span,
                format!(
                    "`{deploy_table}`: `{key}` = {other} must be a string, like `{key} = \"{example}\"`"
                ),
            )),
        }
    };
    layer.name = deploy
        .name
        .map(|v| string(v, "name", "my-function"))
        .transpose()?;
    layer.binary_name = deploy
        .binary_name
        .map(|v| string(v, "binary_name", "my-binary"))
        .transpose()?;
    layer.env_file = deploy
        .env_file
        .map(|v| string(v, "env_file", ".env"))
        .transpose()?
        .map(|f| f.map(|f| file.dir().join(f)));
    if let Some(vars) = deploy.env_var {
        let items = match vars.into_inner() {
            EnvVars::List(items) => items
                .into_iter()
                .map(|item| {
                    let span = item.span();
                    match item.into_inner() {
                        toml::Value::String(s) => Ok(Sourced {
                            value: s,
                            origin: file.origin(span),
                        }),
                        other => Err(at(
                            span,
                            format!(
                                "`{deploy_table}`: `env` item {other} must be a string like \"KEY=value\""
                            ),
                        )),
                    }
                })
                .collect::<Result<Vec<_>, _>>()?,
            EnvVars::Map(entries) => entries
                .into_iter()
                .map(|(key, value)| {
                    let span = value.span();
                    match value.into_inner() {
                        toml::Value::String(s) => Ok(Sourced {
                            value: format!("{}={s}", key.as_ref()),
                            origin: file.origin(span),
                        }),
                        other => Err(at(
                            span,
                            format!(
                                "`{deploy_table}`: `env.{}` = {other} must be a string; write {} = \"{}\"",
                                key.as_ref(),
                                key.as_ref(),
                                unquoted(&other)
                            ),
                        )),
                    }
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        layer.env_var = Some(items);
    }
    Ok(layer)
}

/// A value as it would read inside quotes.
fn unquoted(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
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

/// The binary targets of a package, as cargo finds them.
fn binaries(
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
