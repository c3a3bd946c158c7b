//! A template's text as a tree of nodes, each with the line and column it was read at.
//!
//! YAML 1.2 through `saphyr-parser`'s events (JSON is read the same way: it is YAML's flow
//! style). CloudFormation's short forms become the long forms they stand for as they are
//! read (`!Ref X` is `{Ref: X}`, `!GetAtt A.B` is `{Fn::GetAtt: [A, B]}`), so that the
//! resolver sees one shape. What CloudFormation refuses is refused here too: anchors and
//! aliases, duplicate keys, keys that are not plain strings, more than one document.

use std::path::Path;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use crate::config::definition::Origin;
use crate::config::resolve::Invalid;

/// Deeper nesting is refused: the resolver recurses, and no real template comes close.
const MAX_DEPTH: usize = 64;

/// The short forms CloudFormation's YAML accepts, and the long form each stands for.
const SHORT_FORMS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("Sub", "Fn::Sub"),
    ("GetAtt", "Fn::GetAtt"),
    ("Join", "Fn::Join"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("If", "Fn::If"),
    ("Equals", "Fn::Equals"),
    ("Not", "Fn::Not"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("FindInMap", "Fn::FindInMap"),
    ("ImportValue", "Fn::ImportValue"),
    ("Base64", "Fn::Base64"),
    ("GetAZs", "Fn::GetAZs"),
    ("Cidr", "Fn::Cidr"),
    ("Length", "Fn::Length"),
    ("ToJsonString", "Fn::ToJsonString"),
    ("Transform", "Fn::Transform"),
];

/// One value of the template and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// What it is.
    pub kind: Kind,
    /// Where it starts.
    pub origin: Origin,
}

/// The shapes of a value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// A scalar as written (numbers and booleans too: CloudFormation reads them as text).
    Scalar(String),
    /// `null`, `~` or nothing.
    Null,
    /// A list.
    Seq(Vec<Node>),
    /// A mapping, in the order written, keys unique.
    Map(Vec<(Key, Node)>),
}

/// A mapping key and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    /// The key.
    pub name: String,
    /// Where it is written.
    pub origin: Origin,
}

impl Node {
    /// The value under `key`, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The entries, when this is a mapping.
    pub fn entries(&self) -> Option<&[(Key, Node)]> {
        match &self.kind {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The text, when this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s) => Some(s),
            _ => None,
        }
    }
}

/// A container being read: its start and what it holds so far.
enum Open {
    Seq(Origin, Vec<Node>),
    /// Entries, and the key read whose value is next.
    Map(Origin, Vec<(Key, Node)>, Option<Key>),
}

/// The one document of `text`, read from `file`.
pub(crate) fn parse(text: &str, file: &Arc<Path>) -> Result<Node, Invalid> {
    // YAML breaks lines at `\n`, `\r\n` and a lone `\r`.
    let breaks = text.replace("\r\n", "\n").matches(['\n', '\r']).count();
    let last = text.rsplit(['\n', '\r']).next().unwrap_or_default();
    let mut reader = Reader {
        file,
        last_line: breaks + 1,
        end_column: last.chars().count(),
        stack: Vec::new(),
        root: None,
        documents: 0,
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let origin = reader.origin(e.marker().line(), e.marker().col());
            Invalid::new(
                &origin,
                format!(
                    "not valid YAML: {}; fix the syntax (a template is YAML or JSON)",
                    e.info()
                ),
            )
        })?;
        reader.event(event, &span)?;
    }
    let start = reader.origin(1, 0);
    reader.root.ok_or_else(|| {
        Invalid::new(
            &start,
            "the file is empty; a template has at least `Resources:`",
        )
    })
}

/// The tree read so far.
struct Reader<'f> {
    file: &'f Arc<Path>,
    /// The text's last line, and the column after its end (from 0).
    last_line: usize,
    end_column: usize,
    /// The containers open, innermost last, each with its tag.
    stack: Vec<(Open, Option<Tag>)>,
    root: Option<Node>,
    documents: usize,
}

impl Reader<'_> {
    /// A position; one past the last line (where the scanner notices what the end leaves
    /// open) is the end of the last line, so that a message points at a line the file has.
    fn origin(&self, line: usize, column: usize) -> Origin {
        let (line, column) = if line > self.last_line {
            (self.last_line, self.end_column)
        } else {
            (line, column)
        };
        Origin {
            file: Arc::clone(self.file),
            line,
            column: column + 1,
        }
    }

    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<(), Invalid> {
        let origin = self.origin(span.start.line(), span.start.col());
        let done = match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Invalid::new(
                        &origin,
                        "a second YAML document (`---`); a template is one document: remove it or move it to a file of its own",
                    ));
                }
                return Ok(());
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {
                return Ok(());
            }
            Event::Alias(_) => {
                return Err(Invalid::new(
                    &origin,
                    "a YAML alias (`*name`): CloudFormation does not accept anchors and aliases; write the value out",
                ));
            }
            Event::Scalar(_, _, anchor, _)
            | Event::SequenceStart(anchor, _)
            | Event::MappingStart(anchor, _)
                if anchor != 0 =>
            {
                return Err(Invalid::new(
                    &origin,
                    "a YAML anchor (`&name`): CloudFormation does not accept anchors and aliases; remove it",
                ));
            }
            Event::SequenceStart(_, tag) => {
                return open(&mut self.stack, Open::Seq(origin, Vec::new()), tag);
            }
            Event::MappingStart(_, tag) => {
                return open(&mut self.stack, Open::Map(origin, Vec::new(), None), tag);
            }
            Event::Scalar(text, style, _, tag) => {
                let kind = scalar(&text, style, tag.is_some());
                tagged(Node { kind, origin }, tag.as_deref())?
            }
            Event::SequenceEnd | Event::MappingEnd => self.close()?,
        };
        self.add(done)
    }

    /// The innermost container, finished.
    fn close(&mut self) -> Result<Node, Invalid> {
        let (container, tag) = self.stack.pop().expect("the parser balances its events");
        let node = match container {
            Open::Seq(origin, items) => Node {
                kind: Kind::Seq(items),
                origin,
            },
            Open::Map(origin, entries, _) => Node {
                kind: Kind::Map(entries),
                origin,
            },
        };
        tagged(node, tag.as_ref())
    }

    /// A finished value into its container: an item, a key, or the value of the last key.
    fn add(&mut self, done: Node) -> Result<(), Invalid> {
        match self.stack.last_mut() {
            None => self.root = Some(done),
            Some((Open::Seq(_, items), _)) => items.push(done),
            Some((Open::Map(_, entries, pending), _)) => match pending.take() {
                Some(key) => entries.push((key, done)),
                None => *pending = Some(key(done, entries)?),
            },
        }
        Ok(())
    }
}

fn open(
    stack: &mut Vec<(Open, Option<Tag>)>,
    container: Open,
    tag: Option<std::borrow::Cow<'_, Tag>>,
) -> Result<(), Invalid> {
    if stack.len() >= MAX_DEPTH {
        let origin = match &container {
            Open::Seq(origin, _) | Open::Map(origin, _, _) => origin.clone(),
        };
        return Err(Invalid::new(
            &origin,
            format!("values nested more than {MAX_DEPTH} deep; a template needs far fewer"),
        ));
    }
    stack.push((container, tag.map(std::borrow::Cow::into_owned)));
    Ok(())
}

/// A scalar's value: plain `null`, `~` and nothing are null (a quoted one is text).
fn scalar(text: &str, style: ScalarStyle, tagged: bool) -> Kind {
    let null = matches!(text, "" | "~" | "null" | "Null" | "NULL");
    if style == ScalarStyle::Plain && null && !tagged {
        Kind::Null
    } else {
        Kind::Scalar(text.to_owned())
    }
}

/// A mapping key: a scalar, not already in the mapping.
fn key(node: Node, entries: &[(Key, Node)]) -> Result<Key, Invalid> {
    let Kind::Scalar(name) = node.kind else {
        return Err(Invalid::new(
            &node.origin,
            "a mapping key that is not a plain string; CloudFormation keys are names like `Properties`",
        ));
    };
    if let Some((first, _)) = entries.iter().find(|(k, _)| k.name == name) {
        return Err(Invalid::new(
            &node.origin,
            format!(
                "`{name}` is given twice in this mapping (first at line {}); keep one",
                first.origin.line
            ),
        ));
    }
    Ok(Key {
        name,
        origin: node.origin,
    })
}

/// `node` with its tag applied: a short form becomes its long form; the core schema's own
/// tags (`!!str`...) change nothing here, since CloudFormation reads scalars as text.
fn tagged(node: Node, tag: Option<&Tag>) -> Result<Node, Invalid> {
    let Some(tag) = tag else {
        return Ok(node);
    };
    if tag.is_yaml_core_schema() {
        return Ok(node);
    }
    let long = (tag.handle == "!")
        .then(|| SHORT_FORMS.iter().find(|(short, _)| *short == tag.suffix))
        .flatten();
    let Some((_, long)) = long else {
        let known: Vec<String> = SHORT_FORMS.iter().map(|(s, _)| format!("!{s}")).collect();
        return Err(Invalid::new(
            &node.origin,
            format!(
                "unknown tag `{}{}`; CloudFormation's short forms are {}",
                tag.handle,
                tag.suffix,
                known.join(", ")
            ),
        ));
    };
    let origin = node.origin.clone();
    let argument = match (&node.kind, *long) {
        // `!GetAtt Resource.Attribute`: split on the first dot, as CloudFormation does.
        (Kind::Scalar(text), "Fn::GetAtt") => {
            let (resource, attribute) = text.split_once('.').unwrap_or((text, ""));
            let part = |s: &str| Node {
                kind: Kind::Scalar(s.to_owned()),
                origin: origin.clone(),
            };
            Node {
                kind: Kind::Seq(vec![part(resource), part(attribute)]),
                origin: origin.clone(),
            }
        }
        _ => node,
    };
    let key = Key {
        name: (*long).to_owned(),
        origin: origin.clone(),
    };
    Ok(Node {
        kind: Kind::Map(vec![(key, argument)]),
        origin,
    })
}
