//! SAM and CloudFormation templates (CDK's `cdk.out/*.template.json` included) as a
//! [`Source`]: the functions a stack deploys, with their versions, aliases and URLs.
//!
//! Which templates are read, the first that applies:
//! 1. `LAMBDA_TEST_TEMPLATE`: a path, relative to the package directory.
//! 2. `[template] path = "..."` of `lambda-test.toml`, relative to it.
//! 3. `template.yaml`, `template.yml` or `template.json` in the package directory, and every
//!    `cdk.out/*.template.json`.

mod cfn;
mod code;
mod properties;
mod sam;
mod stack;
pub(crate) mod yaml;

#[cfg(test)]
pub(crate) use sam::merge as sam_merge;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use stack::{Resource, Stack};
use yaml::{Key, Node};

use super::Source;
use super::definition::{Definitions, FunctionDefinition, Sourced, TemplateDefinition};
use super::model;
use super::resolve::Invalid;
use crate::Error;

/// The environment variable that names a template to read instead of the ones found, relative
/// to the package directory: `LAMBDA_TEST_TEMPLATE=infra/prod.yaml cargo test`.
///
/// ```
/// assert_eq!(lambda_test::config::TEMPLATE_VARIABLE, "LAMBDA_TEST_TEMPLATE");
/// ```
pub const TEMPLATE_VARIABLE: &str = "LAMBDA_TEST_TEMPLATE";

/// The file names a package's own template is found by, in this order.
const TEMPLATE_NAMES: &[&str] = &["template.yaml", "template.yml", "template.json"];

/// One template and what reading it needs from `lambda-test.toml`.
#[derive(Debug, Clone)]
pub(crate) struct TemplateSource {
    text: String,
    path: Arc<Path>,
    package_dir: PathBuf,
    settings: TemplateDefinition,
    region: String,
    account_id: String,
    /// Functions `lambda-test.toml` gives the code of: this source does not look for theirs.
    coded: BTreeSet<String>,
}

impl TemplateSource {
    /// The templates of the package in `package_dir`, given what `lambda-test.toml` declares
    /// (`overlay`), in the order of the module docs.
    pub(crate) fn discover(
        package_dir: &Path,
        overlay: Option<&Definitions>,
    ) -> Result<Vec<Self>, Error> {
        let settings = overlay.map(|o| o.template.clone()).unwrap_or_default();
        let paths = match (std::env::var_os(TEMPLATE_VARIABLE), &settings.path) {
            (Some(path), _) => vec![package_dir.join(path)],
            (None, Some(path)) => vec![path.value.clone()],
            (None, None) => found(package_dir),
        };
        let emulator = overlay.map(|o| &o.emulator);
        let region = emulator
            .and_then(|e| e.region.as_ref())
            .map_or(model::DEFAULT_REGION, |r| &r.value);
        let account = emulator
            .and_then(|e| e.account_id.as_ref())
            .map_or(model::DEFAULT_ACCOUNT_ID, |a| &a.value);
        let coded = overlay
            .map(|o| {
                o.functions
                    .iter()
                    .filter(|(_, f)| f.latest.code.is_some())
                    .map(|(n, _)| n.clone())
                    .collect()
            })
            .unwrap_or_default();
        let mut sources = Vec::new();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|source| match &settings.path {
                Some(declared) if std::env::var_os(TEMPLATE_VARIABLE).is_none() => Invalid::new(
                    &declared.origin,
                    format!("`template.path`: cannot read {}: {source}; fix the path (relative to lambda-test.toml)", path.display()),
                )
                .into(),
                _ if std::env::var_os(TEMPLATE_VARIABLE).is_some() => Error::ConfigInvalid {
                    path: path.clone(),
                    message: format!(
                        "cannot read it: {source}; {TEMPLATE_VARIABLE} names it (relative to the package directory {}): fix or unset the variable",
                        package_dir.display()
                    ),
                },
                _ => Error::ConfigRead { path: path.clone(), source },
            })?;
            sources.push(Self {
                text,
                path: Arc::from(path.as_path()),
                package_dir: package_dir.to_owned(),
                settings: settings.clone(),
                region: region.to_owned(),
                account_id: account.to_owned(),
                coded: BTreeSet::clone(&coded),
            });
        }
        Ok(sources)
    }

    /// A template read from `text` as if at `path`, with defaults for everything else: for
    /// tests and the fuzz target.
    pub(crate) fn new(text: impl Into<String>, path: &Path, package_dir: &Path) -> Self {
        Self {
            text: text.into(),
            path: Arc::from(path),
            package_dir: package_dir.to_owned(),
            settings: TemplateDefinition::default(),
            region: model::DEFAULT_REGION.to_owned(),
            account_id: model::DEFAULT_ACCOUNT_ID.to_owned(),
            coded: BTreeSet::new(),
        }
    }
}

/// Whether the package in `package_dir` has a template this source would read.
pub(crate) fn has_template(package_dir: &Path) -> bool {
    std::env::var_os(TEMPLATE_VARIABLE).is_some() || !found(package_dir).is_empty()
}

/// The package's own template and CDK's synthesized ones.
fn found(package_dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = TEMPLATE_NAMES
        .iter()
        .map(|name| package_dir.join(name))
        .find(|p| p.is_file())
        .into_iter()
        .collect();
    if let Ok(entries) = std::fs::read_dir(package_dir.join("cdk.out")) {
        let mut cdk: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_str().is_some_and(|s| s.ends_with(".template.json")) && p.is_file())
            .collect();
        cdk.sort();
        paths.extend(cdk);
    }
    paths
}

impl Source for TemplateSource {
    fn definitions(&self) -> Result<Definitions, Error> {
        Ok(self.read()?)
    }
}

impl TemplateSource {
    fn read(&self) -> Result<Definitions, Invalid> {
        let root = yaml::parse(&self.text, &self.path)?;
        let Some(resources) = root.get("Resources").and_then(Node::entries) else {
            return Err(Invalid::new(
                &root.origin,
                "not a SAM or CloudFormation template: it has no `Resources` mapping; read the right file, or name it with `[template] path` in lambda-test.toml",
            ));
        };
        let stack = self.stack(&root, resources)?;
        let mut live: Vec<&(Key, Node)> = Vec::new();
        for entry in resources {
            if self.exists(&stack, &entry.0, &entry.1)? {
                live.push(entry);
            }
        }
        let mut functions = BTreeMap::new();
        let globals = sam::globals(&root)?;
        let base = self.path.parent().unwrap_or(Path::new("/")).to_owned();
        for (id, resource) in &live {
            let Some(Resource::Function { name }) = stack.resources.get(&id.name) else {
                continue;
            };
            let needs_code = !self.coded.contains(name);
            let function = match kind(resource) {
                Some("AWS::Serverless::Function") => {
                    sam::function(&stack, id, resource, globals, &base, needs_code)?
                }
                _ => cfn::function(&stack, id, resource, name, &self.package_dir, needs_code)?,
            };
            if let Some(other) = functions.insert(name.clone(), function) {
                return Err(Invalid::new(
                    &id.origin,
                    format!(
                        "two functions of this template are named `{name}` (the other at line {}); give each its own `FunctionName`",
                        other.origin.line
                    ),
                ));
            }
        }
        self.attach(&stack, &live, &mut functions)?;
        Ok(Definitions {
            functions,
            ..Definitions::default()
        })
    }

    /// Versions, aliases and URLs onto their functions, in the template's order.
    fn attach(
        &self,
        stack: &Stack<'_>,
        resources: &[&(Key, Node)],
        functions: &mut BTreeMap<String, FunctionDefinition>,
    ) -> Result<(), Invalid> {
        for (id, resource) in resources {
            match (kind(resource), stack.resources.get(&id.name)) {
                (Some("AWS::Lambda::Version"), Some(Resource::Version { function, number })) => {
                    let f = functions
                        .get_mut(function)
                        .expect("versions name functions");
                    cfn::version(f, id, number);
                }
                (Some("AWS::Lambda::Alias"), Some(Resource::Alias { function, .. })) => {
                    let (name, alias) = cfn::alias(stack, id, resource)?;
                    let f = functions.get_mut(function).expect("aliases name functions");
                    f.aliases.insert(name, alias);
                }
                (Some("AWS::Lambda::Url"), _) => {
                    let names = functions.keys().cloned().collect();
                    let (function, qualifier) =
                        cfn::target(stack, &id.name, resource, "TargetFunctionArn", &names)?;
                    let url = cfn::url(stack, id, resource, qualifier)?;
                    functions.get_mut(&function).expect("checked").url = Some(url);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Whether a resource exists: its `Condition` holds, or it has none.
    fn exists(&self, stack: &Stack<'_>, id: &Key, resource: &Node) -> Result<bool, Invalid> {
        match resource.get("Condition") {
            Some(condition) => {
                stack.holds(condition, &format!("resource `{}` `Condition`", id.name))
            }
            None => Ok(true),
        }
    }

    /// Parameters with their overrides, pseudo parameters and how each resource answers `Ref`.
    fn stack<'a>(
        &self,
        root: &'a Node,
        resources: &'a [(Key, Node)],
    ) -> Result<Stack<'a>, Invalid> {
        let mut stack = Stack {
            root,
            region: self.region.clone(),
            account_id: self.account_id.clone(),
            parameters: BTreeMap::new(),
            parameter_types: BTreeMap::new(),
            resources: BTreeMap::new(),
        };
        self.parameters(root, &mut stack)?;
        for (id, resource) in resources {
            let service = kind(resource)
                .and_then(|t| t.split("::").nth(1))
                .unwrap_or("resource")
                .to_ascii_lowercase();
            stack
                .resources
                .insert(id.name.clone(), Resource::Other { service });
        }
        let mut named = Vec::new();
        for (id, resource) in resources {
            if !matches!(
                kind(resource),
                Some("AWS::Serverless::Function" | "AWS::Lambda::Function")
            ) {
                continue;
            }
            let what = format!("resource `{}` property `FunctionName`", id.name);
            let name = match resource
                .get("Properties")
                .and_then(|p| p.get("FunctionName"))
            {
                Some(node) => stack.string(node, &what)?.map(|s| s.value),
                None => None,
            };
            named.push((id, resource, name.unwrap_or_else(|| id.name.clone())));
        }
        for (id, resource, name) in named {
            stack
                .resources
                .insert(id.name.clone(), Resource::Function { name: name.clone() });
            self.published(&mut stack, id, resource, &name)?;
        }
        self.versions_and_aliases(&mut stack, resources)?;
        Ok(stack)
    }

    /// SAM's `<Function>.Version` and `<Function>.Alias` of an `AutoPublishAlias`.
    fn published(
        &self,
        stack: &mut Stack<'_>,
        id: &Key,
        resource: &Node,
        name: &str,
    ) -> Result<(), Invalid> {
        let alias = resource
            .get("Properties")
            .and_then(|p| p.get("AutoPublishAlias"));
        let globals = sam::globals(stack.root)?.and_then(|g| g.get("AutoPublishAlias"));
        let is_sam = kind(resource) == Some("AWS::Serverless::Function");
        let Some(alias) = alias.or(globals.filter(|_| is_sam)) else {
            return Ok(());
        };
        let what = format!("resource `{}` property `AutoPublishAlias`", id.name);
        let Some(alias) = stack.string(alias, &what)? else {
            return Ok(());
        };
        let version = Resource::Version {
            function: name.to_owned(),
            number: "1".to_owned(),
        };
        stack
            .resources
            .insert(format!("{}.Version", id.name), version);
        let alias = Resource::Alias {
            function: name.to_owned(),
            name: alias.value,
        };
        stack.resources.insert(format!("{}.Alias", id.name), alias);
        Ok(())
    }

    /// `AWS::Lambda::Version`s, numbered per function in the template's order, and aliases.
    fn versions_and_aliases(
        &self,
        stack: &mut Stack<'_>,
        resources: &[(Key, Node)],
    ) -> Result<(), Invalid> {
        let functions: BTreeSet<String> = stack
            .resources
            .values()
            .filter_map(|r| match r {
                Resource::Function { name } => Some(name.clone()),
                _ => None,
            })
            .collect();
        let mut numbers: BTreeMap<String, u32> = BTreeMap::new();
        for (id, resource) in resources {
            let resolved = match kind(resource) {
                Some("AWS::Lambda::Version") => {
                    let (function, _) =
                        cfn::target(stack, &id.name, resource, "FunctionName", &functions)?;
                    let number = numbers.entry(function.clone()).or_default();
                    *number += 1;
                    Resource::Version {
                        function,
                        number: number.to_string(),
                    }
                }
                Some("AWS::Lambda::Alias") => {
                    let (function, _) =
                        cfn::target(stack, &id.name, resource, "FunctionName", &functions)?;
                    let name = resource
                        .get("Properties")
                        .and_then(|p| p.get("Name"))
                        .map(|n| {
                            stack.string(n, &format!("resource `{}` property `Name`", id.name))
                        })
                        .transpose()?
                        .flatten()
                        .map_or_else(|| id.name.clone(), |n| n.value);
                    Resource::Alias { function, name }
                }
                _ => continue,
            };
            stack.resources.insert(id.name.clone(), resolved);
        }
        Ok(())
    }

    /// `Parameters` with their defaults, and the overrides of `[template.parameters]`.
    fn parameters(&self, root: &Node, stack: &mut Stack<'_>) -> Result<(), Invalid> {
        for (key, parameter) in root
            .get("Parameters")
            .and_then(Node::entries)
            .unwrap_or_default()
        {
            let default = parameter.get("Default").and_then(|d| match &d.kind {
                yaml::Kind::Scalar(s) => Some(s.clone()),
                yaml::Kind::Seq(items) => Some(
                    items
                        .iter()
                        .filter_map(Node::as_str)
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                _ => None,
            });
            let kind = parameter
                .get("Type")
                .and_then(Node::as_str)
                .unwrap_or("String");
            stack
                .parameter_types
                .insert(key.name.clone(), kind.to_owned());
            stack.parameters.insert(
                key.name.clone(),
                Sourced {
                    value: default,
                    origin: key.origin.clone(),
                },
            );
        }
        for (name, value) in &self.settings.parameters {
            let Some(parameter) = stack.parameters.get_mut(name) else {
                let known: Vec<&str> = stack.parameters.keys().map(String::as_str).collect();
                return Err(Invalid::new(
                    &value.origin,
                    format!(
                        "`template.parameters`: {} has no parameter `{name}` (its parameters: {}); fix the name",
                        self.path.display(),
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            };
            parameter.value = Some(value.value.clone());
        }
        Ok(())
    }
}

/// A resource's `Type`.
fn kind(resource: &Node) -> Option<&str> {
    resource.get("Type").and_then(Node::as_str)
}
