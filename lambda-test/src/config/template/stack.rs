//! Intrinsic functions resolved as SAM CLI resolves them locally: parameters with their
//! defaults and the overrides of `lambda-test.toml`, pseudo parameters, `Ref` and `GetAtt` of
//! the template's resources, conditions, `Sub`, `Join`, `Select`, `Split` and `FindInMap`.
//!
//! Only the properties the local Lambda reads are resolved, so an intrinsic that cannot be
//! resolved locally (`Fn::ImportValue`, an attribute only a deployment knows) is an error
//! only where it matters: the message names the property and the fix.

use std::collections::{BTreeMap, BTreeSet};

use super::yaml::{Key, Kind, Node};
use crate::config::definition::{Origin, Sourced};
use crate::config::resolve::Invalid;

/// What `AWS::StackName` is locally, as SAM CLI has it.
const STACK_NAME: &str = "local";

/// Deeper chains of references (a condition naming a condition...) are a loop.
const MAX_DEPTH: usize = 32;

/// The intrinsics this resolver knows, for the message about one it does not.
const KNOWN: &str = "Ref, Condition, Fn::Sub, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, Fn::If, Fn::Equals, Fn::Not, Fn::And, Fn::Or, Fn::FindInMap";

/// How a resource answers `Ref` and `GetAtt`.
#[derive(Debug, Clone)]
pub(super) enum Resource {
    /// A function: `Ref` is its name.
    Function { name: String },
    /// A published version: `Ref` is its ARN, `GetAtt .Version` its number.
    Version { function: String, number: String },
    /// An alias: `Ref` is its ARN.
    Alias { function: String, name: String },
    /// Anything else: `Ref` is its logical id (as SAM CLI answers), `GetAtt .Arn` an ARN
    /// made of its service and logical id.
    Other { service: String },
}

/// A template's parameters, pseudo parameters, mappings, conditions and resources.
pub(super) struct Stack<'a> {
    pub root: &'a Node,
    pub region: String,
    pub account_id: String,
    /// Parameter values: an override, else the default.
    pub parameters: BTreeMap<String, Sourced<Option<String>>>,
    /// Parameter types (`String`, `Number`, `CommaDelimitedList`...).
    pub parameter_types: BTreeMap<String, String>,
    pub resources: BTreeMap<String, Resource>,
}

impl Stack<'_> {
    /// `node` with every intrinsic resolved; `what` names the property, for messages.
    pub fn resolve(&self, node: &Node, what: &str) -> Result<Node, Invalid> {
        self.value(node, what, 0)
    }

    /// A resolved scalar, or `None` for `AWS::NoValue` and null.
    pub fn string(&self, node: &Node, what: &str) -> Result<Option<Sourced<String>>, Invalid> {
        let value = self.resolve(node, what)?;
        match value.kind {
            Kind::Scalar(s) => Ok(Some(Sourced {
                value: s,
                origin: node.origin.clone(),
            })),
            Kind::Null => Ok(None),
            _ => Err(Invalid::new(
                &node.origin,
                format!("{what} must be a single value, not a list or a mapping"),
            )),
        }
    }

    /// Whether the condition a resource's `Condition` names holds.
    pub fn holds(&self, name: &Node, what: &str) -> Result<bool, Invalid> {
        let condition = self.scalar(name, what, "Condition")?;
        self.condition(&condition, &name.origin, what, 0)
    }

    fn value(&self, node: &Node, what: &str, depth: usize) -> Result<Node, Invalid> {
        if depth > MAX_DEPTH {
            return Err(Invalid::new(
                &node.origin,
                format!("{what}: references nested more than {MAX_DEPTH} deep, or a loop"),
            ));
        }
        match &node.kind {
            Kind::Scalar(_) | Kind::Null => Ok(node.clone()),
            Kind::Seq(items) => {
                let mut resolved = Vec::new();
                for item in items {
                    let item = self.value(item, what, depth + 1)?;
                    if item.kind != Kind::Null {
                        resolved.push(item);
                    }
                }
                Ok(at(&node.origin, Kind::Seq(resolved)))
            }
            Kind::Map(entries) => match intrinsic(entries) {
                Some((name, argument)) => self.intrinsic(&name.name, argument, node, what, depth),
                None => {
                    let mut resolved = Vec::new();
                    for (key, value) in entries {
                        let value = self.value(value, what, depth + 1)?;
                        if value.kind != Kind::Null {
                            resolved.push((key.clone(), value));
                        }
                    }
                    Ok(at(&node.origin, Kind::Map(resolved)))
                }
            },
        }
    }

    fn intrinsic(
        &self,
        name: &str,
        argument: &Node,
        node: &Node,
        what: &str,
        depth: usize,
    ) -> Result<Node, Invalid> {
        let origin = &node.origin;
        let arg = |n: &Node| self.value(n, what, depth + 1);
        let text = |s: String| Ok(at(origin, Kind::Scalar(s)));
        match name {
            "Ref" => {
                let target = self.scalar(&arg(argument)?, what, "Ref")?;
                self.reference(&target, origin, what)
            }
            "Fn::Sub" => text(self.sub(argument, origin, what, depth)?),
            "Fn::GetAtt" | "Fn::Join" | "Fn::Select" | "Fn::Split" | "Fn::FindInMap" => {
                self.list_function(name, &arg(argument)?, origin, what)
            }
            "Fn::If" => {
                let parts = self.list(argument, what, name, 3)?;
                let condition = self.scalar(&arg(&parts[0])?, what, name)?;
                let branch = if self.condition(&condition, origin, what, depth)? {
                    &parts[1]
                } else {
                    &parts[2]
                };
                arg(branch)
            }
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" | "Condition" => {
                let holds = self.truth(node, what, depth)?;
                text(holds.to_string())
            }
            other => Err(Invalid::new(
                origin,
                format!(
                    "{what}: `{other}` cannot be resolved locally{}; give the value directly, or set it in lambda-test.toml, which wins (resolved here: {KNOWN})",
                    if other == "Fn::ImportValue" {
                        " (it reads another stack's exports)"
                    } else if KNOWN_ELSEWHERE.contains(&other) {
                        " (only a deployment knows its value)"
                    } else {
                        ", it is not an intrinsic function of CloudFormation"
                    }
                ),
            )),
        }
    }

    /// The intrinsics that take a list of resolved values.
    fn list_function(
        &self,
        name: &str,
        argument: &Node,
        origin: &Origin,
        what: &str,
    ) -> Result<Node, Invalid> {
        let text = |s: String| Ok(at(origin, Kind::Scalar(s)));
        let arity = if name == "Fn::FindInMap" { 3 } else { 2 };
        let parts = self.list(argument, what, name, arity)?;
        let first = self.scalar(&parts[0], what, name)?;
        let items = |expected: &str| match &parts[1].kind {
            Kind::Seq(items) => Ok(items),
            _ => Err(shape(origin, what, name, expected)),
        };
        match name {
            "Fn::GetAtt" => {
                let attribute = self.scalar(&parts[1], what, name)?;
                text(self.get_att(&first, &attribute, origin, what)?)
            }
            "Fn::Join" => {
                let values = items("[separator, [values]]")?
                    .iter()
                    .map(|i| self.scalar(i, what, name))
                    .collect::<Result<Vec<_>, _>>()?;
                text(values.join(&first))
            }
            "Fn::Select" => {
                let values = items("[index, [values]]")?;
                let picked = first.parse::<usize>().ok().and_then(|i| values.get(i));
                picked.cloned().ok_or_else(|| {
                    Invalid::new(
                        origin,
                        format!(
                            "{what}: `Fn::Select` index {first:?} is not within the {} values; pick one from 0",
                            values.len()
                        ),
                    )
                })
            }
            "Fn::Split" => {
                let whole = self.scalar(&parts[1], what, name)?;
                let values = split(&whole, &first)
                    .map(|s| at(origin, Kind::Scalar(s.to_owned())))
                    .collect();
                Ok(at(origin, Kind::Seq(values)))
            }
            _ => {
                let keys = parts
                    .iter()
                    .map(|p| self.scalar(p, what, name))
                    .collect::<Result<Vec<_>, _>>()?;
                self.find_in_map(&keys, origin, what)
            }
        }
    }

    /// `Ref`: a parameter, a pseudo parameter or a resource.
    fn reference(&self, target: &str, origin: &Origin, what: &str) -> Result<Node, Invalid> {
        let text = |s: String| Ok(at(origin, Kind::Scalar(s)));
        if let Some(value) = self.pseudo(target) {
            return match value {
                Some(value) => text(value),
                None => Ok(at(origin, Kind::Null)),
            };
        }
        if let Some(value) = self.parameters.get(target) {
            let Some(text_value) = &value.value else {
                return Err(Invalid::new(
                    origin,
                    format!(
                        "{what}: parameter `{target}` (line {}) has no `Default`; give it one, or set it in lambda-test.toml: [template.parameters] {target} = \"...\"",
                        value.origin.line
                    ),
                ));
            };
            let list = self
                .parameter_types
                .get(target)
                .is_some_and(|t| t == "CommaDelimitedList" || t.starts_with("List<"));
            if list {
                let items = split(text_value, ",")
                    .map(|s| at(origin, Kind::Scalar(s.trim().to_owned())))
                    .collect();
                return Ok(at(origin, Kind::Seq(items)));
            }
            return text(text_value.clone());
        }
        match self.resources.get(target) {
            Some(Resource::Function { name }) => text(name.clone()),
            Some(Resource::Version { function, number }) => {
                text(format!("{}:{number}", self.function_arn(function)))
            }
            Some(Resource::Alias { function, name }) => {
                text(format!("{}:{name}", self.function_arn(function)))
            }
            Some(Resource::Other { .. }) => text(target.to_owned()),
            None => Err(Invalid::new(
                origin,
                format!(
                    "{what}: `Ref {target}` names nothing: no parameter, pseudo parameter or resource is called `{target}`; fix the name{}",
                    self.closest(target)
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default()
                ),
            )),
        }
    }

    /// A pseudo parameter's value (`None` inside for `AWS::NoValue`), or `None` when `name`
    /// is not one.
    fn pseudo(&self, name: &str) -> Option<Option<String>> {
        let partition = self.partition();
        Some(Some(match name {
            "AWS::Region" => self.region.clone(),
            "AWS::AccountId" => self.account_id.clone(),
            "AWS::StackName" => STACK_NAME.to_owned(),
            "AWS::StackId" => format!(
                "arn:{partition}:cloudformation:{}:{}:stack/{STACK_NAME}/51af3dc0-da77-11e4-872e-1234567db123",
                self.region, self.account_id
            ),
            "AWS::Partition" => partition.to_owned(),
            "AWS::URLSuffix" if self.region.starts_with("cn-") => "amazonaws.com.cn".to_owned(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            "AWS::NoValue" => return Some(None),
            _ => return None,
        }))
    }

    fn partition(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }

    /// The ARN of the function whose logical id or name is `function`.
    pub fn function_arn(&self, function: &str) -> String {
        format!(
            "arn:{}:lambda:{}:{}:function:{function}",
            self.partition(),
            self.region,
            self.account_id
        )
    }

    fn get_att(
        &self,
        resource: &str,
        attribute: &str,
        origin: &Origin,
        what: &str,
    ) -> Result<String, Invalid> {
        let fail = |why: String| {
            Err(Invalid::new(
                origin,
                format!(
                    "{what}: `Fn::GetAtt {resource}.{attribute}` cannot be resolved locally: {why}; give the value directly, or set it in lambda-test.toml, which wins"
                ),
            ))
        };
        match (self.resources.get(resource), attribute) {
            (Some(Resource::Function { name }), "Arn") => Ok(self.function_arn(name)),
            (Some(Resource::Version { number, .. }), "Version") => Ok(number.clone()),
            (Some(Resource::Alias { function, name }), "AliasArn") => {
                Ok(format!("{}:{name}", self.function_arn(function)))
            }
            (Some(Resource::Other { service }), "Arn") => Ok(format!(
                "arn:{}:{service}:{}:{}:{resource}",
                self.partition(),
                self.region,
                self.account_id
            )),
            (Some(_), _) => fail(format!(
                "only a deployment knows `{attribute}` (resolved here: a function's Arn, a version's Version, an alias's AliasArn and any resource's Arn)"
            )),
            (None, _) => fail(format!(
                "no resource is called `{resource}`{}",
                self.closest(resource)
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default()
            )),
        }
    }

    /// `Fn::Sub "text ${Name}"` or `Fn::Sub ["text ${Name}", {Name: value}]`.
    fn sub(
        &self,
        argument: &Node,
        origin: &Origin,
        what: &str,
        depth: usize,
    ) -> Result<String, Invalid> {
        let (template, variables) = match &argument.kind {
            Kind::Seq(parts) if parts.len() == 2 => (&parts[0], parts[1].entries()),
            _ => (argument, Some(&[][..])),
        };
        let (Some(template), Some(variables)) = (template.as_str(), variables) else {
            return Err(shape(
                origin,
                what,
                "Fn::Sub",
                "\"text ${Name}\" or [\"text ${Name}\", {Name: value}]",
            ));
        };
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            // `${!Literal}` writes `${Literal}`.
            if let Some(literal) = after.strip_prefix('!') {
                out.push_str("${");
                rest = literal;
                continue;
            }
            let Some(end) = after.find('}') else {
                return Err(Invalid::new(
                    origin,
                    format!(
                        "{what}: `Fn::Sub` has a `${{` without its `}}`; close it, or write `${{!` for a literal `${{`"
                    ),
                ));
            };
            let name = after[..end].trim();
            let value = match variables.iter().find(|(k, _)| k.name == name) {
                Some((_, value)) => self.value(value, what, depth + 1)?,
                None => match name.split_once('.') {
                    Some((resource, attribute)) if !self.parameters.contains_key(name) => at(
                        origin,
                        Kind::Scalar(self.get_att(resource, attribute, origin, what)?),
                    ),
                    _ => self.reference(name, origin, what)?,
                },
            };
            out.push_str(&self.scalar(&value, what, "Fn::Sub")?);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn find_in_map(&self, keys: &[String], origin: &Origin, what: &str) -> Result<Node, Invalid> {
        let mut node = self.root.get("Mappings");
        let mut path = Vec::new();
        for key in keys {
            path.push(key.as_str());
            node = node.and_then(|n| n.get(key));
            if node.is_none() {
                return Err(Invalid::new(
                    origin,
                    format!(
                        "{what}: `Fn::FindInMap` finds nothing at Mappings.{}; add it to `Mappings`, or fix the keys",
                        path.join(".")
                    ),
                ));
            }
        }
        self.value(node.expect("found"), what, 1)
    }

    /// The named condition of `Conditions`.
    fn condition(
        &self,
        name: &str,
        origin: &Origin,
        what: &str,
        depth: usize,
    ) -> Result<bool, Invalid> {
        match self.root.get("Conditions").and_then(|c| c.get(name)) {
            Some(condition) => self.truth(condition, what, depth + 1),
            None => Err(Invalid::new(
                origin,
                format!(
                    "{what}: condition `{name}` is not under `Conditions`; declare it, or fix the name"
                ),
            )),
        }
    }

    /// A condition function's truth: `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`,
    /// `Condition`, or a literal `true`/`false`.
    fn truth(&self, node: &Node, what: &str, depth: usize) -> Result<bool, Invalid> {
        if depth > MAX_DEPTH {
            return Err(Invalid::new(
                &node.origin,
                format!("{what}: conditions nested more than {MAX_DEPTH} deep, or a loop"),
            ));
        }
        let origin = &node.origin;
        let Some((name, argument)) = node.entries().and_then(intrinsic) else {
            return match node.as_str() {
                Some("true") => Ok(true),
                Some("false") => Ok(false),
                _ => Err(shape(
                    origin,
                    what,
                    "a condition",
                    "Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition",
                )),
            };
        };
        let items = |n| match &argument.kind {
            Kind::Seq(items) if n == 0 || items.len() == n => Ok(items),
            _ => Err(shape(origin, what, &name.name, "a list of conditions")),
        };
        match name.name.as_str() {
            "Condition" => {
                let target = self.scalar(argument, what, "Condition")?;
                self.condition(&target, origin, what, depth)
            }
            "Fn::Equals" => {
                let pair = items(2)?;
                let a = self.value(&pair[0], what, depth + 1)?;
                let b = self.value(&pair[1], what, depth + 1)?;
                Ok(a.kind == b.kind)
            }
            "Fn::Not" => Ok(!self.truth(&items(1)?[0], what, depth + 1)?),
            "Fn::And" => items(0)?
                .iter()
                .try_fold(true, |all, c| Ok(all && self.truth(c, what, depth + 1)?)),
            "Fn::Or" => items(0)?
                .iter()
                .try_fold(false, |any, c| Ok(any || self.truth(c, what, depth + 1)?)),
            _ => {
                let value = self.value(node, what, depth + 1)?;
                self.truth(&value, what, depth + 1)
            }
        }
    }

    fn scalar(&self, node: &Node, what: &str, function: &str) -> Result<String, Invalid> {
        match &node.kind {
            Kind::Scalar(s) => Ok(s.clone()),
            _ => Err(shape(&node.origin, what, function, "a single value here")),
        }
    }

    fn list<'n>(
        &self,
        node: &'n Node,
        what: &str,
        function: &str,
        n: usize,
    ) -> Result<&'n [Node], Invalid> {
        match &node.kind {
            Kind::Seq(items) if items.len() == n => Ok(items),
            _ => Err(shape(
                &node.origin,
                what,
                function,
                &format!("a list of {n} values"),
            )),
        }
    }

    /// The parameter or resource name closest to a misspelt one.
    fn closest(&self, name: &str) -> Option<&str> {
        let names: BTreeSet<&str> = self
            .parameters
            .keys()
            .chain(self.resources.keys())
            .map(String::as_str)
            .collect();
        names
            .into_iter()
            .map(|n| (crate::config::toml_source::edit_distance(name, n), n))
            .filter(|(d, _)| *d <= 2)
            .min()
            .map(|(_, n)| n)
    }
}

/// Intrinsics of CloudFormation that only a deployment can answer.
const KNOWN_ELSEWHERE: &[&str] = &[
    "Fn::Base64",
    "Fn::GetAZs",
    "Fn::Cidr",
    "Fn::Length",
    "Fn::ToJsonString",
    "Fn::Transform",
];

/// The function and argument of a mapping that is an intrinsic: one key, `Ref`,
/// `Condition` or `Fn::...`.
pub(super) fn intrinsic(entries: &[(Key, Node)]) -> Option<(&Key, &Node)> {
    match entries {
        [(key, value)]
            if key.name == "Ref" || key.name == "Condition" || key.name.starts_with("Fn::") =>
        {
            Some((key, value))
        }
        _ => None,
    }
}

/// `Fn::Split` of an empty separator splits nothing.
fn split<'s>(text: &'s str, separator: &'s str) -> Box<dyn Iterator<Item = &'s str> + 's> {
    if separator.is_empty() {
        Box::new(std::iter::once(text))
    } else {
        Box::new(text.split(separator))
    }
}

fn at(origin: &Origin, kind: Kind) -> Node {
    Node {
        kind,
        origin: origin.clone(),
    }
}

fn shape(origin: &Origin, what: &str, function: &str, expected: &str) -> Invalid {
    Invalid::new(origin, format!("{what}: `{function}` takes {expected}"))
}
