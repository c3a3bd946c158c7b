//! cargo-lambda's tables (`[package.metadata.lambda]`, `[workspace.metadata.lambda]` and
//! their `bin.<binary>` tables) read into checked [`Layer`]s, each value with where it was read.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use crate::config::definition::{Origin, Sourced};
use crate::config::resolve::Invalid;
use crate::config::toml_source::TomlSource;

/// `[package.metadata.lambda]` or `[workspace.metadata.lambda]`.
#[derive(Deserialize)]
pub(super) struct LambdaTable {
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
pub(super) struct Layer {
    pub(super) env: BTreeMap<String, String>,
    pub(super) memory: Option<Sourced<u32>>,
    pub(super) timeout: Option<Sourced<f64>>,
    /// `KEY=value` items as written (a table's entries written so), in order.
    pub(super) env_var: Option<Vec<Sourced<String>>>,
    /// Absolute.
    pub(super) env_file: Option<Sourced<PathBuf>>,
    pub(super) name: Option<Sourced<String>>,
    pub(super) binary_name: Option<Sourced<String>>,
}

impl Layer {
    /// `over` on top, key by key; `env` merges name by name.
    pub(super) fn over(&mut self, over: &Layer) {
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
pub(super) struct Tables {
    /// Where the lambda table is.
    pub(super) origin: Origin,
    pub(super) settings: Layer,
    pub(super) bins: BTreeMap<String, (Origin, Layer)>,
}

/// The settings of one lambda table and its per-binary tables. `what` is `package` or
/// `workspace`.
pub(super) fn tables(
    file: &TomlSource,
    what: &str,
    lambda: Spanned<LambdaTable>,
) -> Result<Tables, Invalid> {
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
    let mut layer = Layer {
        env: env_table(file, table, settings.env)?,
        ..Layer::default()
    };
    let Some(deploy) = settings.deploy else {
        return Ok(layer);
    };
    let check = Check {
        file,
        table: format!("[{table}.deploy]"),
    };
    layer.memory = deploy
        .memory
        .map(|v| check.whole(v, "memory", 128..=10240, "a whole number of MB", 512))
        .transpose()?;
    layer.timeout = deploy
        .timeout
        .map(|v| check.whole(v, "timeout", 1..=900, "a whole number of seconds", 30))
        .transpose()?
        .map(|t| t.map(|seconds| seconds as f64));
    if let Some(tracing) = deploy.tracing {
        check.tracing(tracing)?;
    }
    layer.name = deploy
        .name
        .map(|v| check.string(v, "name", "my-function"))
        .transpose()?;
    layer.binary_name = deploy
        .binary_name
        .map(|v| check.string(v, "binary_name", "my-binary"))
        .transpose()?;
    layer.env_file = deploy
        .env_file
        .map(|v| check.string(v, "env_file", ".env"))
        .transpose()?
        .map(|f| f.map(|f| file.dir().join(f)));
    layer.env_var = deploy.env_var.map(|v| check.env_vars(v)).transpose()?;
    Ok(layer)
}

/// `[<table>.env]`: strings only.
fn env_table(
    file: &TomlSource,
    table: &str,
    env: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
) -> Result<BTreeMap<String, String>, Invalid> {
    let mut vars = BTreeMap::new();
    for (key, value) in env {
        let span = value.span();
        match value.into_inner() {
            toml::Value::String(value) => {
                vars.insert(key.into_inner(), value);
            }
            other => {
                return Err(Invalid::new(
                    &file.origin(span),
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
    Ok(vars)
}

/// The checks of one `deploy` table's values; `table` is its name for messages.
struct Check<'a> {
    file: &'a TomlSource,
    table: String,
}

impl Check<'_> {
    fn at(&self, span: Range<usize>, message: String) -> Invalid {
        Invalid::new(&self.file.origin(span), message)
    }

    /// A whole number in `range`, like `key = example`.
    fn whole(
        &self,
        value: Spanned<toml::Value>,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
        what: &str,
        example: i64,
    ) -> Result<Sourced<u32>, Invalid> {
        let span = value.span();
        match value.into_inner() {
            toml::Value::Integer(n) if range.contains(&n) => Ok(Sourced {
                value: n as u32,
                origin: self.file.origin(span),
            }),
            other => Err(self.at(
                span,
                format!(
                    "`{}`: `{key}` = {other} must be {what} from {} to {}, like `{key} = {example}`",
                    self.table,
                    range.start(),
                    range.end()
                ),
            )),
        }
    }

    /// `tracing`: checked, not emulated.
    fn tracing(&self, tracing: Spanned<toml::Value>) -> Result<(), Invalid> {
        let span = tracing.span();
        match tracing.into_inner() {
            toml::Value::String(mode)
                if mode.eq_ignore_ascii_case("active")
                    || mode.eq_ignore_ascii_case("passthrough") =>
            {
                Ok(())
            }
            other => Err(self.at(
                span,
                format!(
                    "`{}`: `tracing` = {other} must be \"active\" or \"passthrough\"",
                    self.table
                ),
            )),
        }
    }

    /// A string that is not empty, like `key = "example"`.
    fn string(
        &self,
        value: Spanned<toml::Value>,
        key: &str,
        example: &str,
    ) -> Result<Sourced<String>, Invalid> {
        let span = value.span();
        match value.into_inner() {
            toml::Value::String(s) if !s.is_empty() => Ok(Sourced {
                value: s,
                origin: self.file.origin(span),
            }),
            other => Err(self.at(
                span,
                format!(
                    "`{}`: `{key}` = {other} must be a string, like `{key} = \"{example}\"`",
                    self.table
                ),
            )),
        }
    }

    /// `env = ["K=V"]` or `env = { K = "V" }`, as `K=V` items in order.
    fn env_vars(&self, vars: Spanned<EnvVars>) -> Result<Vec<Sourced<String>>, Invalid> {
        let item = |span: Range<usize>, value: toml::Value, key: Option<&str>| match (value, key) {
            (toml::Value::String(s), None) => Ok(Sourced {
                value: s,
                origin: self.file.origin(span),
            }),
            (toml::Value::String(s), Some(key)) => Ok(Sourced {
                value: format!("{key}={s}"),
                origin: self.file.origin(span),
            }),
            (other, None) => Err(self.at(
                span,
                format!(
                    "`{}`: `env` item {other} must be a string like \"KEY=value\"",
                    self.table
                ),
            )),
            (other, Some(key)) => Err(self.at(
                span,
                format!(
                    "`{}`: `env.{key}` = {other} must be a string; write {key} = \"{}\"",
                    self.table,
                    unquoted(&other)
                ),
            )),
        };
        match vars.into_inner() {
            EnvVars::List(items) => items
                .into_iter()
                .map(|i| item(i.span(), i.into_inner(), None))
                .collect(),
            EnvVars::Map(entries) => entries
                .into_iter()
                .map(|(k, v)| item(v.span(), v.into_inner(), Some(k.as_ref())))
                .collect(),
        }
    }
}

/// A value as it would read inside quotes.
pub(super) fn unquoted(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
