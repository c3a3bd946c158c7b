//! The properties `AWS::Serverless::Function` and `AWS::Lambda::Function` share, and the
//! Function URL settings of `FunctionUrlConfig` and `AWS::Lambda::Url`, read into
//! definitions. Properties that do not change how a function runs locally (`Role`,
//! `Policies`, `Layers`, `VpcConfig`, `Tags`, `Events`, `Tracing`, `DeadLetterQueue`...) are
//! never resolved, so what they hold cannot fail a local run.

use super::stack::Stack;
use super::yaml::{Kind, Node};
use crate::config::definition::{
    FunctionDefinition, LoggingDefinition, Origin, Sourced, UrlDefinition,
};
use crate::config::model::Cors;
use crate::config::resolve::Invalid;

/// Reads the properties of one function resource; `id` is its logical id, for messages.
pub(super) struct Properties<'s, 'a> {
    stack: &'s Stack<'a>,
    id: &'s str,
    /// `None`: the resource has no `Properties`, which reads as an empty map.
    node: Option<&'s Node>,
}

impl<'s, 'a> Properties<'s, 'a> {
    /// The `Properties` of `resource`, logical id `id`; a resource without them has none set.
    pub fn of(stack: &'s Stack<'a>, id: &'s str, resource: &'s Node) -> Self {
        Self::new(stack, id, resource.get("Properties"))
    }

    /// The properties in `node` (a map already taken out of its resource, or merged).
    pub fn new(stack: &'s Stack<'a>, id: &'s str, node: Option<&'s Node>) -> Self {
        Properties { stack, id, node }
    }

    /// A property as written, intrinsics unresolved.
    pub fn get(&self, property: &str) -> Option<&'s Node> {
        self.node.and_then(|node| node.get(property))
    }

    fn what(&self, property: &str) -> String {
        format!("resource `{}` property `{property}`", self.id)
    }

    /// A property resolved to one value, `None` when absent or `AWS::NoValue`.
    pub fn string(&self, property: &str) -> Result<Option<Sourced<String>>, Invalid> {
        match self.get(property) {
            Some(node) => self.stack.string(node, &self.what(property)),
            None => Ok(None),
        }
    }

    /// A property that is a whole number in `range`.
    fn number(
        &self,
        property: &str,
        range: std::ops::RangeInclusive<u32>,
        unit: &str,
    ) -> Result<Option<Sourced<u32>>, Invalid> {
        let Some(value) = self.string(property)? else {
            return Ok(None);
        };
        match value.value.parse::<u32>() {
            Ok(n) if range.contains(&n) => Ok(Some(value.map(|_| n))),
            _ => Err(Invalid::new(
                &value.origin,
                format!(
                    "{}: {:?} must be a whole number of {unit} from {} to {}",
                    self.what(property),
                    value.value,
                    range.start(),
                    range.end()
                ),
            )),
        }
    }

    /// `MemorySize`, `Timeout`, `Handler`, `Environment`, `Architectures`, `LoggingConfig`
    /// and `ReservedConcurrentExecutions` onto `function`.
    pub fn settings(&self, function: &mut FunctionDefinition) -> Result<(), Invalid> {
        let latest = &mut function.latest;
        latest.memory_size = self.number("MemorySize", 128..=10240, "MB")?;
        latest.timeout = self
            .number("Timeout", 1..=900, "seconds")?
            .map(|t| t.map(f64::from));
        latest.handler = self.string("Handler")?;
        latest.environment = self.environment()?;
        latest.architecture = self.architecture()?;
        latest.logging = self.logging()?;
        function.reserved_concurrency =
            self.number("ReservedConcurrentExecutions", 0..=100_000, "executions")?;
        Ok(())
    }

    /// `Environment.Variables`: text values; null is the empty string, as SAM CLI has it.
    fn environment(&self) -> Result<std::collections::BTreeMap<String, String>, Invalid> {
        let mut variables = std::collections::BTreeMap::new();
        let Some(environment) = self.get("Environment") else {
            return Ok(variables);
        };
        let what = self.what("Environment");
        let environment = self.stack.resolve(environment, &what)?;
        let Some(vars) = environment.get("Variables") else {
            return Ok(variables);
        };
        let Some(entries) = vars.entries() else {
            return Err(Invalid::new(
                &vars.origin,
                format!("{what}: `Variables` must be a mapping of names to values"),
            ));
        };
        for (key, value) in entries {
            let text = match &value.kind {
                Kind::Scalar(s) => s.clone(),
                Kind::Null => String::new(),
                _ => {
                    return Err(Invalid::new(
                        &value.origin,
                        format!(
                            "{what}: variable `{}` must be one value, not a list or a mapping",
                            key.name
                        ),
                    ));
                }
            };
            variables.insert(key.name.clone(), text);
        }
        Ok(variables)
    }

    /// `Architectures: [x86_64]` or `[arm64]`.
    fn architecture(&self) -> Result<Option<Sourced<String>>, Invalid> {
        let Some(node) = self.get("Architectures") else {
            return Ok(None);
        };
        let what = self.what("Architectures");
        let resolved = self.stack.resolve(node, &what)?;
        match &resolved.kind {
            Kind::Seq(items) if items.len() == 1 => match items[0].as_str() {
                Some(a) => Ok(Some(Sourced {
                    value: a.to_owned(),
                    origin: node.origin.clone(),
                })),
                None => Err(Invalid::new(
                    &node.origin,
                    format!("{what}: write [x86_64] or [arm64]"),
                )),
            },
            Kind::Null => Ok(None),
            _ => Err(Invalid::new(
                &node.origin,
                format!("{what}: a function has one architecture; write [x86_64] or [arm64]"),
            )),
        }
    }

    /// `LoggingConfig`, as AWS spells it.
    fn logging(&self) -> Result<LoggingDefinition, Invalid> {
        let Some(node) = self.get("LoggingConfig") else {
            return Ok(LoggingDefinition::default());
        };
        let logging = Properties::new(self.stack, self.id, Some(node));
        Ok(LoggingDefinition {
            format: logging.string("LogFormat")?,
            application_level: logging.string("ApplicationLogLevel")?,
            system_level: logging.string("SystemLogLevel")?,
            log_group: logging.string("LogGroup")?,
        })
    }

    /// A Function URL's `AuthType`, `InvokeMode`, `Cors` (and `Qualifier`, for
    /// `AWS::Lambda::Url`), with `qualifier` as the alias it invokes when given.
    pub fn url(
        &self,
        origin: &Origin,
        qualifier: Option<Sourced<String>>,
    ) -> Result<UrlDefinition, Invalid> {
        Ok(UrlDefinition {
            origin: origin.clone(),
            auth_type: self.string("AuthType")?,
            invoke_mode: self.string("InvokeMode")?,
            qualifier,
            cors: self.cors()?,
        })
    }

    fn cors(&self) -> Result<Option<Sourced<Cors>>, Invalid> {
        let Some(node) = self.get("Cors") else {
            return Ok(None);
        };
        let what = self.what("Cors");
        let cors = self.stack.resolve(node, &what)?;
        let list = |key: &str| -> Result<Vec<String>, Invalid> {
            match cors.get(key).map(|n| &n.kind) {
                None => Ok(Vec::new()),
                Some(Kind::Seq(items)) => items
                    .iter()
                    .map(|i| {
                        i.as_str().map(str::to_owned).ok_or_else(|| {
                            Invalid::new(&i.origin, format!("{what}: `{key}` lists text values"))
                        })
                    })
                    .collect(),
                Some(_) => Err(Invalid::new(
                    &node.origin,
                    format!("{what}: `{key}` must be a list"),
                )),
            }
        };
        let max_age = match cors.get("MaxAge").and_then(Node::as_str) {
            Some(age) => Some(age.parse::<u32>().map_err(|_| {
                Invalid::new(
                    &node.origin,
                    format!("{what}: `MaxAge` {age:?} must be a whole number of seconds"),
                )
            })?),
            None => None,
        };
        let model = Cors {
            allow_origins: list("AllowOrigins")?,
            allow_methods: list("AllowMethods")?,
            allow_headers: list("AllowHeaders")?,
            expose_headers: list("ExposeHeaders")?,
            max_age,
            allow_credentials: cors.get("AllowCredentials").and_then(Node::as_str) == Some("true"),
        };
        Ok(Some(Sourced {
            value: model,
            origin: node.origin.clone(),
        }))
    }
}
