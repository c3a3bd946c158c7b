//! What one source declares, before defaults: every value optional and marked with where it
//! was read, so that a check of the merged result points into the right file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::model::Code;

/// Where a value was read: a file, a line and a column (both 1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    /// The file.
    pub file: Arc<Path>,
    /// The line, from 1.
    pub line: usize,
    /// The column in characters, from 1.
    pub column: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// A declared value and where it was read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sourced<T> {
    /// The value as the source declares it.
    pub value: T,
    /// Where.
    pub origin: Origin,
}

/// Everything the sources declare, merged: the input of [`Definitions::resolve`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Definitions {
    /// The local Lambda's own settings.
    pub emulator: EmulatorDefinition,
    /// The functions, by name.
    pub functions: BTreeMap<String, FunctionDefinition>,
    /// Which template to read and its parameter overrides (`lambda-test.toml`'s `[template]`).
    pub template: TemplateDefinition,
}

/// `[template]`: the template to read instead of the ones found, and parameter overrides.
#[derive(Debug, Clone, Default)]
pub(crate) struct TemplateDefinition {
    /// The template (absolute).
    pub path: Option<Sourced<PathBuf>>,
    /// Values of the template's parameters, over their defaults.
    pub parameters: BTreeMap<String, Sourced<String>>,
}

/// The declared `[emulator]` settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct EmulatorDefinition {
    /// Region.
    pub region: Option<Sourced<String>>,
    /// Account id.
    pub account_id: Option<Sourced<String>>,
    /// Where `bin` is looked for first (absolute).
    pub bin_dir: Option<Sourced<PathBuf>>,
    /// Seconds before each retry of a failed `Event`.
    pub event_retry_delays: Option<Sourced<Vec<f64>>>,
    /// The dead-letter file (absolute).
    pub dead_letter_file: Option<Sourced<PathBuf>>,
    /// Callers, by name.
    pub principals: BTreeMap<String, PrincipalDefinition>,
}

/// A declared principal.
#[derive(Debug, Clone)]
pub(crate) struct PrincipalDefinition {
    /// Where it is declared (its name).
    pub origin: Origin,
    /// Its access key id.
    pub access_key_id: Sourced<String>,
    /// Its secret access key.
    pub secret_access_key: String,
    /// Its ARN, if declared.
    pub arn: Option<Sourced<String>>,
}

/// A declared function.
#[derive(Debug, Clone)]
pub(crate) struct FunctionDefinition {
    /// Where it is declared (its name).
    pub origin: Origin,
    /// The settings of `$LATEST`.
    pub latest: SettingsDefinition,
    /// Published versions by number.
    pub versions: BTreeMap<String, VersionDefinition>,
    /// Aliases by name.
    pub aliases: BTreeMap<String, AliasDefinition>,
    /// Reserved concurrency.
    pub reserved_concurrency: Option<Sourced<u32>>,
    /// Who may invoke it.
    pub allow: Option<Vec<Sourced<String>>>,
    /// Its Function URL.
    pub url: Option<UrlDefinition>,
}

/// A declared Function URL, as AWS spells its settings.
#[derive(Debug, Clone)]
pub(crate) struct UrlDefinition {
    /// Where it is declared.
    pub origin: Origin,
    /// `AuthType`.
    pub auth_type: Option<Sourced<String>>,
    /// `InvokeMode`.
    pub invoke_mode: Option<Sourced<String>>,
    /// `Qualifier`: an alias.
    pub qualifier: Option<Sourced<String>>,
    /// `Cors`, already in the model's shape.
    pub cors: Option<Sourced<crate::config::Cors>>,
}

impl FunctionDefinition {
    /// A function declared at `origin` with nothing set yet.
    pub fn new(origin: Origin) -> Self {
        Self {
            origin,
            latest: SettingsDefinition::default(),
            versions: BTreeMap::new(),
            aliases: BTreeMap::new(),
            reserved_concurrency: None,
            allow: None,
            url: None,
        }
    }
}

/// A declared published version: overrides of `$LATEST`.
#[derive(Debug, Clone)]
pub(crate) struct VersionDefinition {
    /// Where it is declared (its number).
    pub origin: Origin,
    /// Its overrides.
    pub settings: SettingsDefinition,
}

impl VersionDefinition {
    /// A version declared at `origin` with no overrides yet.
    pub fn new(origin: Origin) -> Self {
        Self {
            origin,
            settings: SettingsDefinition::default(),
        }
    }
}

/// The settings a function or version declares; what it leaves out comes from `$LATEST`
/// (for a version) and then from the defaults.
#[derive(Debug, Clone, Default)]
pub(crate) struct SettingsDefinition {
    /// What to run; a version's replaces `$LATEST`'s.
    pub code: Option<Sourced<Code>>,
    /// The directory relative paths of `code` resolve against, and the task root.
    pub code_dir: Option<PathBuf>,
    /// Timeout in seconds.
    pub timeout: Option<Sourced<f64>>,
    /// Memory size in MB.
    pub memory_size: Option<Sourced<u32>>,
    /// `Handler`.
    pub handler: Option<Sourced<String>>,
    /// Environment variables, merged over those of earlier sources and of `$LATEST`.
    pub environment: BTreeMap<String, String>,
    /// `x86_64` or `arm64`, as the source spells it.
    pub architecture: Option<Sourced<String>>,
    /// Logging controls.
    pub logging: LoggingDefinition,
    /// What the function's own AWS calls get; a version's replaces `$LATEST`'s whole.
    pub aws: Option<super::aws_access::AwsDefinition>,
}

/// Declared logging controls, as AWS spells them (`JSON`, `INFO`, ...).
#[derive(Debug, Clone, Default)]
pub(crate) struct LoggingDefinition {
    /// `LogFormat`.
    pub format: Option<Sourced<String>>,
    /// `ApplicationLogLevel`.
    pub application_level: Option<Sourced<String>>,
    /// `SystemLogLevel`.
    pub system_level: Option<Sourced<String>>,
    /// `LogGroup`.
    pub log_group: Option<Sourced<String>>,
}

/// A declared alias.
#[derive(Debug, Clone)]
pub(crate) struct AliasDefinition {
    /// Where it is declared (its name).
    pub origin: Origin,
    /// The primary version.
    pub version: Sourced<String>,
    /// Additional versions with their weights (at most one is valid).
    pub weights: Vec<(Sourced<String>, Sourced<f64>)>,
    /// Who may invoke through it.
    pub allow: Option<Vec<Sourced<String>>>,
}

impl Definitions {
    /// Lays `over` on top of `self`: what `over` declares wins, field by field; environment
    /// variables merge; versions, aliases and principals merge by name.
    pub fn overlay(&mut self, over: Definitions) {
        let e = &mut self.emulator;
        let o = over.emulator;
        replace(&mut e.region, o.region);
        replace(&mut e.account_id, o.account_id);
        replace(&mut e.bin_dir, o.bin_dir);
        replace(&mut e.event_retry_delays, o.event_retry_delays);
        replace(&mut e.dead_letter_file, o.dead_letter_file);
        e.principals.extend(o.principals);
        replace(&mut self.template.path, over.template.path);
        self.template.parameters.extend(over.template.parameters);
        for (name, function) in over.functions {
            match self.functions.get_mut(&name) {
                Some(under) => under.overlay(function),
                None => {
                    self.functions.insert(name, function);
                }
            }
        }
    }
}

impl FunctionDefinition {
    fn overlay(&mut self, over: FunctionDefinition) {
        // Errors about the function as a whole point at the overlay, the file a user edits.
        self.origin = over.origin;
        self.latest.overlay(over.latest);
        for (number, version) in over.versions {
            match self.versions.get_mut(&number) {
                Some(under) => {
                    under.origin = version.origin;
                    under.settings.overlay(version.settings);
                }
                None => {
                    self.versions.insert(number, version);
                }
            }
        }
        self.aliases.extend(over.aliases);
        replace(&mut self.reserved_concurrency, over.reserved_concurrency);
        replace(&mut self.allow, over.allow);
        replace(&mut self.url, over.url);
    }
}

impl SettingsDefinition {
    /// Lays `over` on top: what it declares wins; environment variables merge.
    pub fn overlay(&mut self, over: SettingsDefinition) {
        if over.code.is_some() {
            self.code = over.code;
            self.code_dir = over.code_dir;
        }
        replace(&mut self.timeout, over.timeout);
        replace(&mut self.memory_size, over.memory_size);
        replace(&mut self.handler, over.handler);
        self.environment.extend(over.environment);
        replace(&mut self.architecture, over.architecture);
        replace(&mut self.aws, over.aws);
        let (l, o) = (&mut self.logging, over.logging);
        replace(&mut l.format, o.format);
        replace(&mut l.application_level, o.application_level);
        replace(&mut l.system_level, o.system_level);
        replace(&mut l.log_group, o.log_group);
    }
}

fn replace<T>(under: &mut Option<T>, over: Option<T>) {
    if over.is_some() {
        *under = over;
    }
}
