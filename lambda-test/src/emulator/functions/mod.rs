//! Functions, their versions and aliases, and the warm instances of each version.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::instance::VersionSettings;
use crate::Error;
use crate::config::{self, Alias, Code, Config};
use crate::emulator::api::error::AwsError;

mod bin_path;
mod pool;

use bin_path::BinSearch;

pub(crate) use pool::response_too_large;
pub use pool::{Finishing, StreamingInvocation, VersionPool};

/// Every function of a config.
pub struct Registry {
    /// Region of the local Lambda.
    pub region: String,
    /// Account id of the local Lambda.
    pub account_id: String,
    functions: BTreeMap<String, Arc<Function>>,
}

/// One function: `$LATEST`, its published versions, and its aliases.
pub struct Function {
    /// The name.
    pub name: String,
    /// `arn:aws:lambda:<region>:<account>:function:<name>`.
    pub arn: String,
    /// Its Function URL, when it has one.
    pub url: Option<config::FunctionUrl>,
    versions: BTreeMap<String, Arc<VersionPool>>,
    aliases: BTreeMap<String, Alias>,
    reserved_concurrency: Option<u32>,
    allow: Option<Vec<String>>,
    running: AtomicU32,
    bin: Option<(String, Result<PathBuf, Vec<PathBuf>>)>,
    config_path: PathBuf,
}

impl Registry {
    /// Builds the registry; binaries are located now, so a missing one is known before any invoke.
    pub fn new(config: &Config) -> Registry {
        let search = BinSearch::new(config);
        let functions = config
            .functions
            .iter()
            .map(|(name, f)| {
                let function = Function::new(config, f, &search);
                (name.clone(), Arc::new(function))
            })
            .collect();
        Registry {
            region: config.emulator.region.clone(),
            account_id: config.emulator.account_id.clone(),
            functions,
        }
    }

    /// The function with this name.
    pub fn get(&self, name: &str) -> Option<&Arc<Function>> {
        self.functions.get(name)
    }

    /// Fails with a message naming the binary and the fix when `name`'s `bin` does not exist.
    pub fn check_binary(&self, name: &str) -> Result<(), Error> {
        let Some(function) = self.functions.get(name) else {
            return Ok(());
        };
        match &function.bin {
            Some((bin, Err(searched))) => Err(Error::MissingBinary {
                function: name.to_owned(),
                bin: bin.clone(),
                config: function.config_path.clone(),
                searched: searched.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// The binaries found for the functions' `bin`s.
    pub fn binaries(&self) -> Vec<PathBuf> {
        self.functions
            .values()
            .filter_map(|f| match &f.bin {
                Some((_, Ok(path))) => Some(path.clone()),
                _ => None,
            })
            .collect()
    }

    /// All functions.
    pub fn functions(&self) -> impl Iterator<Item = &Arc<Function>> {
        self.functions.values()
    }
}

impl Function {
    fn new(config: &Config, f: &config::Function, search: &BinSearch) -> Function {
        let latest = settings_for(config, &f.name, &f.latest, search);
        let mut versions = BTreeMap::new();
        versions.insert("$LATEST".to_owned(), Arc::new(VersionPool::new(latest.0)));
        for (number, version) in &f.versions {
            let (settings, _) = settings_for(config, &f.name, version, search);
            versions.insert(number.clone(), Arc::new(VersionPool::new(settings)));
        }
        Function {
            name: f.name.clone(),
            arn: f.arn.clone(),
            url: f.url.clone(),
            versions,
            aliases: f.aliases.clone(),
            reserved_concurrency: f.reserved_concurrency,
            allow: f.allow.clone(),
            running: AtomicU32::new(0),
            bin: latest.1,
            config_path: config.path.clone(),
        }
    }

    /// The ARN as a caller addresses the function: with the qualifier, when there is one.
    pub fn invoked_arn(&self, qualifier: Option<&str>) -> String {
        match qualifier {
            Some(q) => format!("{}:{q}", self.arn),
            None => self.arn.clone(),
        }
    }

    /// Resolves a qualifier to the version to run (`$LATEST` or a number); a weighted alias
    /// picks one of its two versions at random by weight.
    pub fn resolve(&self, qualifier: Option<&str>) -> Result<String, AwsError> {
        let not_found =
            |q: &str| AwsError::not_found(format!("Function not found: {}:{q}", self.arn));
        match qualifier {
            None | Some("$LATEST") => Ok("$LATEST".to_owned()),
            Some("$LATEST.PUBLISHED") => self
                .versions
                .keys()
                .filter_map(|v| v.parse::<u64>().ok())
                .max()
                .map(|v| v.to_string())
                .ok_or_else(|| {
                    AwsError::no_published_version(format!(
                        "No published version found for function {}",
                        self.arn
                    ))
                }),
            Some(q) if q.bytes().all(|b| b.is_ascii_digit()) => {
                if self.versions.contains_key(q) {
                    Ok(q.to_owned())
                } else {
                    Err(not_found(q))
                }
            }
            Some(alias) => {
                let a = self.aliases.get(alias).ok_or_else(|| not_found(alias))?;
                Ok(a.pick(fastrand::f64()).to_owned())
            }
        }
    }

    /// Who may invoke through this qualifier: the alias's own list, else the function's.
    pub fn allow_list(&self, qualifier: Option<&str>) -> Option<&[String]> {
        qualifier
            .and_then(|q| self.aliases.get(q))
            .and_then(|a| a.allow.as_deref())
            .or(self.allow.as_deref())
    }

    /// Takes one of the function's concurrency slots, or refuses with 429.
    pub fn acquire(self: &Arc<Self>) -> Result<ConcurrencySlot, AwsError> {
        let limit = self.reserved_concurrency.unwrap_or(u32::MAX);
        let taken = self
            .running
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < limit).then_some(n + 1)
            });
        match taken {
            Ok(_) => Ok(ConcurrencySlot(Arc::clone(self))),
            Err(_) => Err(AwsError::throttled(
                "ReservedFunctionConcurrentInvocationLimitExceeded",
                "Rate Exceeded.",
            )),
        }
    }

    /// The pool of a resolved version.
    pub fn pool(&self, version: &str) -> Option<&Arc<VersionPool>> {
        self.versions.get(version)
    }

    /// All version pools.
    pub fn pools(&self) -> impl Iterator<Item = &Arc<VersionPool>> {
        self.versions.values()
    }
}

/// One running invocation of a function, released on drop.
pub struct ConcurrencySlot(Arc<Function>);

impl Drop for ConcurrencySlot {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::AcqRel);
    }
}

type BinLookup = Option<(String, Result<PathBuf, Vec<PathBuf>>)>;

/// The emulator's settings of a resolved version, and where its `bin` was found.
fn settings_for(
    config: &Config,
    name: &str,
    version: &config::Version,
    search: &BinSearch,
) -> (VersionSettings, BinLookup) {
    let base = &version.task_root;
    let (program, args, lookup) = match &version.code {
        Code::Command { program, args } => {
            let program = if program.contains('/') {
                base.join(program)
            } else {
                PathBuf::from(program)
            };
            (program, args.clone(), None)
        }
        Code::Bin(bin) => {
            let found = search.locate(base, bin);
            let program = found.clone().unwrap_or_else(|_| search.fallback(bin));
            (program, Vec::new(), Some((bin.clone(), found)))
        }
    };
    let settings = VersionSettings {
        function_name: name.to_owned(),
        version: version.version.clone(),
        program,
        args,
        task_root: base.clone(),
        environment: version.environment.clone(),
        timeout: version.timeout,
        memory_size: version.memory_size,
        handler: version.handler.clone(),
        region: config.emulator.region.clone(),
        account_id: config.emulator.account_id.clone(),
        logging: version.logging.clone(),
        aws: version.aws.clone(),
    };
    (settings, lookup)
}
