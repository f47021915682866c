//! A small, strict XML layer for SOAP: a bounded tree reader over quick-xml that refuses DTDs
//! and unknown entities, a sequence cursor that reads a complex type the way an XSD
//! `xsd:sequence` does (order, occurrences, nothing extra), and an escaping writer.

use std::fmt::Write as _;

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

/// How deep a document may nest; the deepest paForNode message nests 8 levels in its envelope.
const MAX_DEPTH: usize = 32;
/// How many elements a document may hold; a full receipt has about 150.
const MAX_ELEMENTS: usize = 4_000;

/// Why a document could not be read, or does not have the shape the schema asks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct XmlError(pub String);

impl XmlError {
    pub(crate) fn at(path: &str, problem: impl std::fmt::Display) -> Self {
        Self(format!("{path}: {problem}"))
    }
}

/// An element: its local name, its namespace, its child elements and its text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element {
    /// The local name, without prefix.
    pub name: String,
    /// The namespace URI, if the element is qualified.
    pub namespace: Option<String>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// The character data directly inside the element (entities resolved).
    pub text: String,
}

impl Element {
    /// The text without leading and trailing white space.
    pub fn value(&self) -> &str {
        self.text.trim()
    }

    /// A cursor over the children, read as an `xsd:sequence`; `path` names this element in
    /// error messages.
    pub fn sequence<'a>(&'a self, path: &str) -> Result<Sequence<'a>, XmlError> {
        self.sequence_of(path, None)
    }

    /// A cursor over the children, read as an `xsd:sequence` of a schema whose elements are
    /// qualified (`elementFormDefault="qualified"`): each child must be in `namespace`.
    pub fn sequence_in<'a>(&'a self, path: &str, namespace: &'a str) -> Result<Sequence<'a>, XmlError> {
        self.sequence_of(path, Some(namespace))
    }

    fn sequence_of<'a>(&'a self, path: &str, namespace: Option<&'a str>) -> Result<Sequence<'a>, XmlError> {
        if !self.text.trim().is_empty() {
            return Err(XmlError::at(path, "text is not allowed here"));
        }
        Ok(Sequence {
            children: &self.children,
            position: 0,
            path: path.to_owned(),
            namespace,
        })
    }

    /// The first child of that local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// Parses a whole document into its root element. Refuses a DOCTYPE (so no entity can be
/// declared or expanded), references to entities other than the five predefined ones, more
/// than 32 levels or 4 000 elements, and anything not well formed.
pub fn parse(document: &str) -> Result<Element, XmlError> {
    parse_with_max_elements(document, MAX_ELEMENTS)
}

/// [`parse`] with another cap on the number of elements (a reconciliation flow holds seven per
/// payment).
pub fn parse_with_max_elements(document: &str, max_elements: usize) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(document);
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    config.check_end_names = true;
    config.check_comments = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    loop {
        let (namespace, event) = reader
            .read_resolved_event()
            .map_err(|e| XmlError(format!("not well-formed XML: {e}")))?;
        let namespace = match namespace {
            ResolveResult::Bound(ns) => Some(ns.as_ref().to_owned()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(prefix) => {
                return Err(XmlError(format!("undeclared namespace prefix {prefix:?}")));
            }
        };
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(XmlError("content after the root element".into()));
                }
                elements += 1;
                if stack.len() >= MAX_DEPTH || elements > max_elements {
                    return Err(XmlError("the document is too deep or too large".into()));
                }
                let name = start.local_name().as_ref().to_owned();
                stack.push(Element {
                    name,
                    namespace,
                    ..Element::default()
                });
            }
            Event::End(_) => {
                let done = stack.pop().ok_or_else(|| XmlError("unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(text) => push_text(&mut stack, &text.xml10_content())?,
            Event::CData(data) => {
                push_text(&mut stack, data.as_ref())?;
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match &*reference {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => return Err(XmlError(format!("unknown entity &{other};"))),
                    },
                    Err(e) => return Err(XmlError(format!("bad character reference: {e}"))),
                };
                push_text(&mut stack, resolved.encode_utf8(&mut [0; 4]))?;
            }
            Event::DocType(_) => return Err(XmlError("a DOCTYPE is not allowed".into())),
            Event::Empty(_) => return Err(XmlError("unexpected empty element event".into())),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError("the document ends inside an element".into()));
    }
    root.ok_or_else(|| XmlError("the document has no root element".into()))
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(element) => {
            element.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(XmlError("text outside the root element".into())),
    }
}

/// Reads a complex type's children in order, as an `xsd:sequence`.
#[derive(Debug)]
pub struct Sequence<'a> {
    children: &'a [Element],
    position: usize,
    path: String,
    /// The namespace every child must be in (`None`: unqualified).
    namespace: Option<&'a str>,
}

impl<'a> Sequence<'a> {
    fn peek_is(&self, name: &str) -> bool {
        self.children.get(self.position).is_some_and(|c| c.name == name)
    }

    /// The path of a child, for messages.
    pub fn path_of(&self, name: &str) -> String {
        format!("{}/{name}", self.path)
    }

    /// An optional element whatever its namespace (for the SOAP envelope's own elements).
    pub fn optional_any_namespace(&mut self, name: &str) -> Option<&'a Element> {
        if !self.peek_is(name) {
            return None;
        }
        self.position += 1;
        Some(&self.children[self.position - 1])
    }

    /// A required element.
    pub fn required(&mut self, name: &str) -> Result<&'a Element, XmlError> {
        self.optional(name)?.ok_or_else(|| {
            let found = match self.children.get(self.position) {
                Some(other) => format!("found <{}>", other.name),
                None => "found nothing".to_owned(),
            };
            XmlError::at(&self.path, format!("<{name}> expected, {found}"))
        })
    }

    /// An optional element.
    pub fn optional(&mut self, name: &str) -> Result<Option<&'a Element>, XmlError> {
        if !self.peek_is(name) {
            return Ok(None);
        }
        let element = &self.children[self.position];
        if element.namespace.as_deref() != self.namespace {
            let problem = match self.namespace {
                None => "must be unqualified (no namespace), as the schema declares".to_owned(),
                Some(namespace) => format!("must be in namespace {namespace}, as the schema declares"),
            };
            return Err(XmlError::at(&self.path_of(name), problem));
        }
        self.position += 1;
        Ok(Some(element))
    }

    /// Between `min` and `max` repetitions of an element.
    pub fn repeated(&mut self, name: &str, min: usize, max: usize) -> Result<Vec<&'a Element>, XmlError> {
        let mut found = Vec::new();
        while let Some(element) = self.optional(name)? {
            found.push(element);
        }
        if found.len() < min || found.len() > max {
            return Err(XmlError::at(
                &self.path_of(name),
                format!("{}..{max} occurrences allowed, found {}", min, found.len()),
            ));
        }
        Ok(found)
    }

    /// A required leaf's trimmed text.
    pub fn text(&mut self, name: &str) -> Result<&'a str, XmlError> {
        let element = self.required(name)?;
        leaf(element, &self.path_of(name))
    }

    /// An optional leaf's trimmed text.
    pub fn optional_text(&mut self, name: &str) -> Result<Option<&'a str>, XmlError> {
        match self.optional(name)? {
            Some(element) => leaf(element, &self.path_of(name)).map(Some),
            None => Ok(None),
        }
    }

    /// The sequence must be over.
    pub fn end(self) -> Result<(), XmlError> {
        match self.children.get(self.position) {
            None => Ok(()),
            Some(extra) => Err(XmlError::at(&self.path, format!("unexpected element <{}>", extra.name))),
        }
    }
}

fn leaf<'a>(element: &'a Element, path: &str) -> Result<&'a str, XmlError> {
    if !element.children.is_empty() {
        return Err(XmlError::at(path, "a simple value was expected, found elements"));
    }
    Ok(element.value())
}

/// Writes XML with escaping. Names are written as given (with any prefix).
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// A writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            out: String::with_capacity(capacity),
        }
    }

    /// Writes raw markup (the caller guarantees it is well formed).
    pub fn raw(&mut self, markup: &str) -> &mut Self {
        self.out.push_str(markup);
        self
    }

    /// `<name>`.
    pub fn open(&mut self, name: &str) -> &mut Self {
        let _ = write!(self.out, "<{name}>");
        self
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        let _ = write!(self.out, "</{name}>");
        self
    }

    /// `<name>value</name>`, the value escaped.
    pub fn leaf(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        let _ = write!(self.out, "<{name}>");
        let start = self.out.len();
        let _ = write!(self.out, "{value}");
        if self.out[start..]
            .chars()
            .any(|c| matches!(c, '<' | '>' | '&' | '"' | '\'') || !is_xml_char(c))
        {
            let escaped = escape(&self.out[start..]);
            self.out.truncate(start);
            self.out.push_str(&escaped);
        }
        let _ = write!(self.out, "</{name}>");
        self
    }

    /// A leaf when the value is present.
    pub fn optional_leaf<T: std::fmt::Display>(&mut self, name: &str, value: Option<T>) -> &mut Self {
        if let Some(value) = value {
            self.leaf(name, value);
        }
        self
    }

    /// The document written.
    pub fn finish(self) -> String {
        self.out
    }
}

/// Whether XML 1.0 allows the character at all (`Char` production).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes character data and attribute values. Characters XML cannot carry at all (control
/// characters other than tab and line ends) are dropped, so the document stays well formed
/// whatever a gestionale stored.
pub fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    for c in raw.chars() {
        match c {
            c if !is_xml_char(c) => {}
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_namespaces_whatever_the_prefix() {
        for prefix in ["pafn", "paf", "ns2"] {
            let doc = format!(
                r#"<?xml version="1.0"?><s:E xmlns:s="urn:s" xmlns:{prefix}="urn:p"><{prefix}:r><a>1 &amp; 2</a><b/></{prefix}:r></s:E>"#
            );
            let root = parse(&doc).unwrap();
            assert_eq!(root.namespace.as_deref(), Some("urn:s"));
            let r = &root.children[0];
            assert_eq!((r.name.as_str(), r.namespace.as_deref()), ("r", Some("urn:p")));
            assert_eq!(r.children[0].value(), "1 & 2");
            assert_eq!(r.children[1].name, "b");
        }
    }

    #[test]
    fn default_namespace_applies_to_children() {
        let root = parse(r#"<r xmlns="urn:p"><a>x</a></r>"#).unwrap();
        assert_eq!(root.children[0].namespace.as_deref(), Some("urn:p"));
    }

    #[test]
    fn refuses_doctype_entities_and_bad_documents() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>"#;
        assert!(parse(bomb).unwrap_err().0.contains("DOCTYPE"));
        assert!(parse("<r>&a;</r>").unwrap_err().0.contains("entity"));
        assert!(parse("<r><a></r>").is_err());
        assert!(parse("<r>").is_err());
        assert!(parse("").is_err());
        assert!(parse("<r/><r/>").is_err());
        assert!(parse("<p:r/>").is_err());
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        assert!(parse(&deep).unwrap_err().0.contains("too deep"));
        assert_eq!(parse("<r>&#65;&#x42;</r>").unwrap().value(), "AB");
        assert_eq!(parse("<r><![CDATA[<x>]]></r>").unwrap().value(), "<x>");
    }

    #[test]
    fn sequence_reads_like_an_xsd_sequence() {
        let root = parse("<r><a>1</a><b>2</b><b>3</b><c>4</c></r>").unwrap();
        let mut seq = root.sequence("r").unwrap();
        assert_eq!(seq.text("a").unwrap(), "1");
        assert_eq!(seq.optional_text("z").unwrap(), None);
        assert_eq!(seq.repeated("b", 1, 5).unwrap().len(), 2);
        assert!(seq.end().unwrap_err().0.contains("<c>"));

        let mut seq = root.sequence("r").unwrap();
        assert!(seq.text("b").unwrap_err().0.contains("<b> expected, found <a>"));

        let mut seq = root.sequence("r").unwrap();
        seq.text("a").unwrap();
        assert!(seq.repeated("b", 1, 1).is_err());

        let qualified = parse(r#"<r xmlns:p="urn:p"><p:a>1</p:a></r>"#).unwrap();
        assert!(qualified.sequence("r").unwrap().text("a").is_err());
        assert!(parse("<r>x<a/></r>").unwrap().sequence("r").is_err());
    }

    #[test]
    fn a_qualified_sequence_wants_its_namespace() {
        let root = parse(r#"<p:r xmlns:p="urn:p"><p:a>1</p:a><b>2</b></p:r>"#).unwrap();
        let mut seq = root.sequence_in("r", "urn:p").unwrap();
        assert_eq!(seq.text("a").unwrap(), "1");
        let error = seq.text("b").unwrap_err();
        assert_eq!(error.0, "r/b: must be in namespace urn:p, as the schema declares");
        let many = "<r>".to_owned() + &"<a/>".repeat(10) + "</r>";
        assert!(parse_with_max_elements(&many, 10).unwrap_err().0.contains("too large"));
        assert_eq!(parse_with_max_elements(&many, 11).unwrap().children.len(), 10);
    }

    #[test]
    fn writer_escapes() {
        let mut w = XmlWriter::default();
        w.open("r")
            .leaf("a", "x < y & \"z\"")
            .optional_leaf::<&str>("b", None)
            .close("r");
        let out = w.finish();
        assert_eq!(out, "<r><a>x &lt; y &amp; &quot;z&quot;</a></r>");
        assert_eq!(parse(&out).unwrap().children[0].value(), "x < y & \"z\"");
        let mut w = XmlWriter::default();
        w.leaf("a", "bell\u{7} and \u{1}nul");
        assert_eq!(w.finish(), "<a>bell and nul</a>");
    }
}
