//! A small pull reader over quick-xml for the mind-map formats, which refuses
//! DTDs (so no entity can ever be declared or expanded), resolves only the
//! five predefined entities and character references, tracks nesting, and
//! reports errors at line:column; plus escaping for the writers.

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::{InterchangeError, MAX_DEPTH, MAX_INPUT_BYTES};

/// Checks the size and encoding of an XML file before any parsing.
pub(crate) fn text_of(bytes: &[u8]) -> Result<&str, InterchangeError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(InterchangeError::TooLarge {
            size: bytes.len(),
            max: MAX_INPUT_BYTES,
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|_| InterchangeError::NotUtf8)
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Ev {
    Start {
        name: String,
        attrs: Vec<(String, String)>,
    },
    End,
    Text(String),
    Eof,
}

pub(crate) struct XmlReader<'a> {
    src: &'a str,
    reader: Reader<&'a [u8]>,
    depth: usize,
    /// An empty element's end, delivered on the next call.
    pending_end: bool,
}

fn position(src: &str, offset: usize) -> (usize, usize) {
    let before = src.get(..offset.min(src.len())).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl<'a> XmlReader<'a> {
    pub fn new(src: &'a str) -> Self {
        let mut reader = Reader::from_str(src);
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        config.expand_empty_elements = false;
        XmlReader {
            src,
            reader,
            depth: 0,
            pending_end: false,
        }
    }

    fn here(&self) -> (usize, usize) {
        let offset = usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX);
        position(self.src, offset)
    }

    pub fn error(&self, message: impl Into<String>) -> InterchangeError {
        let (line, column) = self.here();
        InterchangeError::Xml {
            line,
            column,
            message: message.into(),
        }
    }

    fn attributes(&self, e: &BytesStart<'_>) -> Result<Vec<(String, String)>, InterchangeError> {
        let mut out = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|err| self.error(err.to_string()))?;
            let key = AsRef::<str>::as_ref(&a.key).to_string();
            let value = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| self.error(format!("attribute {key}: {err}")))?;
            out.push((key, value.into_owned()));
        }
        Ok(out)
    }

    /// The next element start, element end or piece of text. Comments,
    /// declarations and processing instructions are skipped.
    pub fn next(&mut self) -> Result<Ev, InterchangeError> {
        if self.pending_end {
            self.pending_end = false;
            self.depth -= 1;
            return Ok(Ev::End);
        }
        loop {
            let start = usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX);
            let event = self
                .reader
                .read_event()
                .map_err(|err| self.error(err.to_string()))?;
            return match event {
                Event::DocType(_) => {
                    let (line, column) = position(self.src, start);
                    Err(InterchangeError::Dtd { line, column })
                }
                Event::Start(e) | Event::Empty(e) if self.depth >= MAX_DEPTH => {
                    let _ = e;
                    Err(InterchangeError::TooDeep(MAX_DEPTH))
                }
                Event::Start(e) => {
                    self.depth += 1;
                    Ok(Ev::Start {
                        name: AsRef::<str>::as_ref(&e.local_name()).to_string(),
                        attrs: self.attributes(&e)?,
                    })
                }
                Event::Empty(e) => {
                    self.depth += 1;
                    self.pending_end = true;
                    Ok(Ev::Start {
                        name: AsRef::<str>::as_ref(&e.local_name()).to_string(),
                        attrs: self.attributes(&e)?,
                    })
                }
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    Ok(Ev::End)
                }
                Event::Text(t) => Ok(Ev::Text(
                    t.xml_content(XmlVersion::Implicit1_0).into_owned(),
                )),
                Event::CData(c) => Ok(Ev::Text(c.into_inner().into_owned())),
                Event::GeneralRef(r) => {
                    if r.is_char_ref() {
                        match r.resolve_char_ref() {
                            Ok(Some(c)) => Ok(Ev::Text(c.to_string())),
                            Ok(None) | Err(_) => Err(self.error("bad character reference")),
                        }
                    } else {
                        let name = AsRef::<str>::as_ref(&r).to_string();
                        match name.as_str() {
                            "amp" => Ok(Ev::Text("&".into())),
                            "lt" => Ok(Ev::Text("<".into())),
                            "gt" => Ok(Ev::Text(">".into())),
                            "quot" => Ok(Ev::Text("\"".into())),
                            "apos" => Ok(Ev::Text("'".into())),
                            _ => {
                                let (line, column) = position(self.src, start);
                                Err(InterchangeError::UnknownEntity { line, column, name })
                            }
                        }
                    }
                }
                Event::Eof => {
                    if self.depth > 0 {
                        Err(self.error("the file ends inside an element"))
                    } else {
                        Ok(Ev::Eof)
                    }
                }
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) => continue,
            };
        }
    }

    /// Skips the rest of the element whose start was just read.
    pub fn skip(&mut self) -> Result<(), InterchangeError> {
        let mut open = 1usize;
        while open > 0 {
            match self.next()? {
                Ev::Start { .. } => open += 1,
                Ev::End => open -= 1,
                Ev::Text(_) => {}
                Ev::Eof => return Err(self.error("the file ends inside an element")),
            }
        }
        Ok(())
    }
}

pub(crate) fn attr<'v>(attrs: &'v [(String, String)], key: &str) -> Option<&'v str> {
    attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// Escapes text for an attribute value. Line breaks and tabs become
/// character references, which attribute-value normalisation leaves intact.
pub(crate) fn escape_attr(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
}

/// Escapes element text; a carriage return is a reference so end-of-line
/// normalisation cannot turn it into a newline.
pub(crate) fn escape_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}
