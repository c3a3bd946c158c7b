//! `lambda-test.toml` as a [`Source`]: the file format, read with `toml`'s spanned values so
//! that every error points at the exact line and column of the key or value it is about.
//!
//! The structs here are the file format only; [`TomlSource::definitions`] turns them into
//! [`Definitions`], and the rules live in the resolver, not here. The one rule this file keeps
//! is one of its format: a table has `bin` or `command`, not both.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::Source;
use super::aws_access::AwsDefinition;
use super::definition::{
    AliasDefinition, Definitions, EmulatorDefinition, FunctionDefinition, LoggingDefinition,
    Origin, PrincipalDefinition, SettingsDefinition, Sourced, TemplateDefinition, UrlDefinition,
    VersionDefinition,
};
use super::model::{Code, Cors};
use super::resolve::Invalid;
use crate::Error;

mod explain;

pub(super) use explain::edit_distance;
use explain::explain;

/// The text of a `lambda-test.toml` and where it was read from.
#[derive(Debug, Clone)]
pub(crate) struct TomlSource {
    text: String,
    path: Arc<Path>,
    /// The byte offset of each line's start, to turn spans into lines and columns.
    line_starts: Vec<usize>,
}

impl TomlSource {
    /// The text of the file at `path` (absolute: relative paths in the file resolve against
    /// its directory).
    pub(crate) fn new(text: impl Into<String>, path: &Path) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            text,
            path: Arc::from(path),
            line_starts,
        }
    }
}

impl Source for TomlSource {
    fn definitions(&self) -> Result<Definitions, Error> {
        let table = toml::de::DeTable::parse(&self.text).map_err(|e| {
            self.invalid(
                e.span(),
                format!(
                    "TOML parse error: {}; fix the syntax (https://toml.io)",
                    e.message()
                ),
            )
        })?;
        let file = File::deserialize(toml::de::Deserializer::from(table))
            .map_err(|e| self.invalid(e.span(), explain(&e)))?;
        Ok(self.convert(file)?)
    }
}

/// The file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    emulator: EmulatorTable,
    #[serde(default)]
    functions: BTreeMap<Spanned<String>, FunctionTable>,
    template: Option<TemplateTable>,
}

/// `[template]`: which SAM/CloudFormation template to read, and its parameter overrides.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateTable {
    path: Option<Spanned<PathBuf>>,
    #[serde(default)]
    parameters: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// `[emulator]`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct EmulatorTable {
    region: Option<Spanned<String>>,
    account_id: Option<Spanned<String>>,
    bin_dir: Option<Spanned<PathBuf>>,
    event_retry_delays: Option<Spanned<Vec<f64>>>,
    dead_letter_file: Option<Spanned<PathBuf>>,
    #[serde(default)]
    principals: BTreeMap<Spanned<String>, PrincipalTable>,
}

/// `[emulator.principals.<name>]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrincipalTable {
    access_key_id: Spanned<String>,
    secret_access_key: String,
    arn: Option<Spanned<String>>,
}

/// `[functions.<name>]`: `$LATEST`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FunctionTable {
    bin: Option<Spanned<String>>,
    command: Option<Spanned<Vec<String>>>,
    timeout: Option<Spanned<f64>>,
    memory_size: Option<Spanned<u32>>,
    handler: Option<Spanned<String>>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    logging: Option<LoggingTable>,
    aws: Option<AwsTable>,
    reserved_concurrency: Option<Spanned<u32>>,
    #[serde(default)]
    versions: BTreeMap<Spanned<String>, VersionTable>,
    #[serde(default)]
    aliases: BTreeMap<Spanned<String>, Spanned<AliasValue>>,
    allow: Option<Vec<Spanned<String>>>,
    url: Option<Spanned<UrlTable>>,
}

/// `[functions.<name>.url]`: a Function URL.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UrlTable {
    auth_type: Option<Spanned<String>>,
    invoke_mode: Option<Spanned<String>>,
    qualifier: Option<Spanned<String>>,
    cors: Option<Spanned<CorsTable>>,
}

/// `cors = { allow_origins = ["*"], ... }` of a Function URL.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorsTable {
    #[serde(default)]
    allow_origins: Vec<String>,
    #[serde(default)]
    allow_methods: Vec<String>,
    #[serde(default)]
    allow_headers: Vec<String>,
    #[serde(default)]
    expose_headers: Vec<String>,
    max_age: Option<u32>,
    #[serde(default)]
    allow_credentials: bool,
}

/// `[functions.<name>.versions.<n>]`: overrides of `$LATEST`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionTable {
    bin: Option<Spanned<String>>,
    command: Option<Spanned<Vec<String>>>,
    timeout: Option<Spanned<f64>>,
    memory_size: Option<Spanned<u32>>,
    handler: Option<Spanned<String>>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    logging: Option<LoggingTable>,
    aws: Option<AwsTable>,
}

/// `aws = { credentials = "static", access_key_id = "testing", ... }`: the function's own
/// AWS calls.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AwsTable {
    credentials: Option<Spanned<String>>,
    access_key_id: Option<Spanned<String>>,
    secret_access_key: Option<Spanned<String>>,
    session_token: Option<Spanned<String>>,
    endpoint_url: Option<Spanned<String>>,
    #[serde(default)]
    endpoint_urls: BTreeMap<Spanned<String>, Spanned<String>>,
    region: Option<Spanned<String>>,
}

/// `logging = { format = "JSON", application_level = "INFO", ... }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoggingTable {
    format: Option<Spanned<String>>,
    application_level: Option<Spanned<String>>,
    system_level: Option<Spanned<String>>,
    log_group: Option<Spanned<String>>,
}

/// An alias: `live = "1"` or `live = { version = "2", weights = { "1" = 0.25 } }`.
enum AliasValue {
    Version(String),
    Routed(AliasTable),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AliasTable {
    version: Spanned<String>,
    #[serde(default)]
    weights: BTreeMap<Spanned<String>, Spanned<f64>>,
    allow: Option<Vec<Spanned<String>>>,
}

// By hand rather than `#[serde(untagged)]`: untagged buffers the value, which loses the
// spans inside the table form and answers every mistake with "did not match any variant".
impl<'de> Deserialize<'de> for AliasValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = AliasValue;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a version like \"1\", or a table like { version = \"2\", weights = { \"1\" = 0.25 } }",
                )
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<AliasValue, E> {
                Ok(AliasValue::Version(v.to_owned()))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<AliasValue, A::Error> {
                let table =
                    AliasTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(AliasValue::Routed(table))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl TomlSource {
    // Shared with the other TOML-based source (cargo_lambda.rs): positions in the same way.
    pub(super) fn origin(&self, span: Range<usize>) -> Origin {
        let offset = span.start.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let line_start = self.line_starts[line - 1];
        // Columns count characters, as editors do; a span inside a character counts it.
        let column = self.text[line_start..]
            .char_indices()
            .take_while(|(i, _)| line_start + i < offset)
            .count();
        Origin {
            file: Arc::clone(&self.path),
            line,
            column: column + 1,
        }
    }

    pub(super) fn sourced<T>(&self, spanned: Spanned<T>) -> Sourced<T> {
        let origin = self.origin(spanned.span());
        Sourced {
            value: spanned.into_inner(),
            origin,
        }
    }

    pub(super) fn invalid(&self, span: Option<Range<usize>>, message: String) -> Error {
        match span {
            Some(span) => Invalid::new(&self.origin(span), message).into(),
            None => Error::ConfigInvalid {
                path: self.path.to_path_buf(),
                message,
            },
        }
    }

    /// The text.
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    pub(super) fn dir(&self) -> PathBuf {
        self.path
            .parent()
            .map_or_else(|| PathBuf::from("/"), Path::to_owned)
    }

    fn convert(&self, file: File) -> Result<Definitions, Invalid> {
        let e = file.emulator;
        let dir = self.dir();
        let mut principals = BTreeMap::new();
        for (name, p) in e.principals {
            let origin = self.origin(name.span());
            let principal = PrincipalDefinition {
                origin,
                access_key_id: self.sourced(p.access_key_id),
                secret_access_key: p.secret_access_key,
                arn: p.arn.map(|a| self.sourced(a)),
            };
            principals.insert(name.into_inner(), principal);
        }
        let emulator = EmulatorDefinition {
            region: e.region.map(|v| self.sourced(v)),
            account_id: e.account_id.map(|v| self.sourced(v)),
            bin_dir: e.bin_dir.map(|v| self.sourced(v)).map(|d| in_dir(&dir, d)),
            event_retry_delays: e.event_retry_delays.map(|v| self.sourced(v)),
            dead_letter_file: e
                .dead_letter_file
                .map(|v| self.sourced(v))
                .map(|f| in_dir(&dir, f)),
            principals,
        };
        let mut functions = BTreeMap::new();
        for (name, f) in file.functions {
            let origin = self.origin(name.span());
            let function = self.function(name.as_ref(), origin, f)?;
            functions.insert(name.into_inner(), function);
        }
        Ok(Definitions {
            emulator,
            functions,
            template: file
                .template
                .map(|t| self.template(t))
                .transpose()?
                .unwrap_or_default(),
        })
    }

    /// `[template]`: a path relative to this file; parameter values as text, as
    /// CloudFormation passes them.
    fn template(&self, table: TemplateTable) -> Result<TemplateDefinition, Invalid> {
        let mut parameters = BTreeMap::new();
        for (name, value) in table.parameters {
            let origin = self.origin(value.span());
            let text = match value.into_inner() {
                toml::Value::String(s) => s,
                v @ (toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_)) => {
                    v.to_string()
                }
                other => {
                    return Err(Invalid::new(
                        &origin,
                        format!(
                            "`template.parameters.{}` = {other} must be one value, like {} = \"dev\" (a list parameter takes \"a,b\")",
                            name.as_ref(),
                            name.as_ref()
                        ),
                    ));
                }
            };
            parameters.insert(
                name.into_inner(),
                Sourced {
                    value: text,
                    origin,
                },
            );
        }
        let dir = self.dir();
        Ok(TemplateDefinition {
            path: table.path.map(|p| in_dir(&dir, self.sourced(p))),
            parameters,
        })
    }

    fn function(
        &self,
        name: &str,
        origin: Origin,
        f: FunctionTable,
    ) -> Result<FunctionDefinition, Invalid> {
        let mut function = FunctionDefinition::new(origin.clone());
        function.latest = self.settings(
            &origin,
            &format!("function `{name}`"),
            Settings {
                bin: f.bin,
                command: f.command,
                timeout: f.timeout,
                memory_size: f.memory_size,
                handler: f.handler,
                environment: f.environment,
                logging: f.logging,
                aws: f.aws,
            },
        )?;
        for (number, v) in f.versions {
            let mut version = VersionDefinition::new(self.origin(number.span()));
            version.settings = self.settings(
                &version.origin,
                &format!("function `{name}` version {}", number.as_ref()),
                Settings {
                    bin: v.bin,
                    command: v.command,
                    timeout: v.timeout,
                    memory_size: v.memory_size,
                    handler: v.handler,
                    environment: v.environment,
                    logging: v.logging,
                    aws: v.aws,
                },
            )?;
            function.versions.insert(number.into_inner(), version);
        }
        for (name, value) in f.aliases {
            let alias = self.alias(self.origin(name.span()), value);
            function.aliases.insert(name.into_inner(), alias);
        }
        function.reserved_concurrency = f.reserved_concurrency.map(|c| self.sourced(c));
        function.allow = f.allow.map(|a| self.all(a));
        function.url = f.url.map(|url| self.url(url));
        Ok(function)
    }

    /// `live = "1"` or `live = { version = "2", weights = { "1" = 0.25 } }`.
    fn alias(&self, origin: Origin, value: Spanned<AliasValue>) -> AliasDefinition {
        let value_span = value.span();
        match value.into_inner() {
            AliasValue::Version(version) => AliasDefinition {
                origin,
                version: self.sourced(Spanned::new(value_span, version)),
                weights: Vec::new(),
                allow: None,
            },
            AliasValue::Routed(table) => AliasDefinition {
                origin,
                version: self.sourced(table.version),
                weights: table
                    .weights
                    .into_iter()
                    .map(|(v, w)| (self.sourced(v), self.sourced(w)))
                    .collect(),
                allow: table.allow.map(|a| self.all(a)),
            },
        }
    }

    /// `[functions.<name>.url]`.
    fn url(&self, url: Spanned<UrlTable>) -> UrlDefinition {
        let origin = self.origin(url.span());
        let url = url.into_inner();
        UrlDefinition {
            origin,
            auth_type: url.auth_type.map(|v| self.sourced(v)),
            invoke_mode: url.invoke_mode.map(|v| self.sourced(v)),
            qualifier: url.qualifier.map(|v| self.sourced(v)),
            cors: url.cors.map(|cors| {
                let span = cors.span();
                let c = cors.into_inner();
                let model = Cors {
                    allow_origins: c.allow_origins,
                    allow_methods: c.allow_methods,
                    allow_headers: c.allow_headers,
                    expose_headers: c.expose_headers,
                    max_age: c.max_age,
                    allow_credentials: c.allow_credentials,
                };
                self.sourced(Spanned::new(span, model))
            }),
        }
    }

    fn settings(
        &self,
        table: &Origin,
        what: &str,
        s: Settings,
    ) -> Result<SettingsDefinition, Invalid> {
        let code = match (s.bin, s.command) {
            (Some(bin), Some(command)) => {
                let (bin, command) = (self.origin(bin.span()), self.origin(command.span()));
                return Err(Invalid::new(
                    table,
                    format!(
                        "{what} has both `bin` and `command` (lines {} and {}); keep one",
                        bin.line, command.line
                    ),
                ));
            }
            (Some(bin), None) => Some(self.sourced(bin).map(Code::Bin)),
            (None, Some(command)) => Some(self.sourced(command).map(|mut argv| {
                let program = if argv.is_empty() {
                    String::new()
                } else {
                    argv.remove(0)
                };
                Code::Command {
                    program,
                    args: argv,
                }
            })),
            (None, None) => None,
        };
        let logging = s
            .logging
            .map_or_else(LoggingDefinition::default, |l| LoggingDefinition {
                format: l.format.map(|v| self.sourced(v)),
                application_level: l.application_level.map(|v| self.sourced(v)),
                system_level: l.system_level.map(|v| self.sourced(v)),
                log_group: l.log_group.map(|v| self.sourced(v)),
            });
        let aws = s.aws.map(|a| AwsDefinition {
            credentials: a.credentials.map(|v| self.sourced(v)),
            access_key_id: a.access_key_id.map(|v| self.sourced(v)),
            secret_access_key: a.secret_access_key.map(|v| self.sourced(v)),
            session_token: a.session_token.map(|v| self.sourced(v)),
            endpoint_url: a.endpoint_url.map(|v| self.sourced(v)),
            endpoint_urls: a
                .endpoint_urls
                .into_iter()
                .map(|(k, v)| (self.sourced(k), self.sourced(v)))
                .collect(),
            region: a.region.map(|v| self.sourced(v)),
        });
        Ok(SettingsDefinition {
            code_dir: code.as_ref().map(|_| self.dir()),
            code,
            timeout: s.timeout.map(|v| self.sourced(v)),
            memory_size: s.memory_size.map(|v| self.sourced(v)),
            handler: s.handler.map(|v| self.sourced(v)),
            environment: s.environment,
            logging,
            aws,
            ..SettingsDefinition::default()
        })
    }

    fn all(&self, values: Vec<Spanned<String>>) -> Vec<Sourced<String>> {
        values.into_iter().map(|v| self.sourced(v)).collect()
    }
}

/// The settings keys a function table and a version table share.
struct Settings {
    bin: Option<Spanned<String>>,
    command: Option<Spanned<Vec<String>>>,
    timeout: Option<Spanned<f64>>,
    memory_size: Option<Spanned<u32>>,
    handler: Option<Spanned<String>>,
    environment: BTreeMap<String, String>,
    logging: Option<LoggingTable>,
    aws: Option<AwsTable>,
}

impl<T> Sourced<T> {
    pub(super) fn map<U>(self, f: impl FnOnce(T) -> U) -> Sourced<U> {
        Sourced {
            value: f(self.value),
            origin: self.origin,
        }
    }
}

/// A relative path of the file, made absolute against the file's directory.
fn in_dir(dir: &Path, path: Sourced<PathBuf>) -> Sourced<PathBuf> {
    path.map(|p| dir.join(p))
}
