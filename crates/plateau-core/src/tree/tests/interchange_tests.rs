//! Mind-map import and export: hand-written fixtures in each published
//! format, exact round trips, and hostile files.

use std::io::{Cursor, Write};

use super::*;
use crate::tree::interchange::{
    export_mm, export_opml, export_xmind, import_mm, import_opml, import_xmind, InterchangeError,
};

const MM: &[u8] = include_bytes!("../../../tests/data/trees/box.mm");
const OPML: &[u8] = include_bytes!("../../../tests/data/trees/box.opml");
const XMIND_CONTENT: &str = include_str!("../../../tests/data/trees/box.content.json");

/// An XMind archive around a content.json, as XMind writes it.
pub fn xmind_bytes(content: &str, compression: zip::CompressionMethod) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(compression);
    zip.start_file("manifest.json", options).unwrap();
    zip.write_all(br#"{"file-entries":{"content.json":{},"metadata.json":{}}}"#)
        .unwrap();
    zip.start_file("metadata.json", options).unwrap();
    zip.write_all(br#"{"creator":{"name":"Vana","version":"24.01"}}"#)
        .unwrap();
    zip.start_file("content.json", options).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

fn summary(t: &Tree) -> Vec<(String, String, String, Vec<String>)> {
    t.nodes
        .iter()
        .map(|n| {
            let targets = n.kind.edges().into_iter().map(|(_, t)| t.clone()).collect();
            (
                n.title.clone(),
                n.content.text.clone(),
                n.kind.name().to_string(),
                targets,
            )
        })
        .collect()
}

#[test]
fn hand_made_maps_import_as_questions_and_solutions() {
    let t = import_mm(MM).unwrap();
    assert_eq!(t.root, "t1");
    let got = summary(&t);
    let expected: Vec<(String, String, String, Vec<String>)> = [
        (
            "No internet",
            "Ask the customer whether the box lights are on.",
            "question",
            vec!["t2", "t4"],
        ),
        ("Lights off", "Lights off", "question", vec!["t3"]),
        (
            "Plug it in & press \"power\"",
            "Plug it in & press \"power\"",
            "solution",
            vec![],
        ),
        ("Lights on", "Lights on", "question", vec!["t5", "t7"]),
        ("Wi-Fi only", "Wi-Fi only", "question", vec!["t6"]),
        ("Restart the Wi-Fi", "Restart the Wi-Fi", "solution", vec![]),
        ("Every device", "Every device", "question", vec!["t8"]),
        (
            "Escalate to level 2",
            "Escalate to level 2",
            "solution",
            vec![],
        ),
    ]
    .into_iter()
    .map(|(a, b, c, d)| {
        (
            a.into(),
            b.into(),
            c.into(),
            d.into_iter().map(String::from).collect(),
        )
    })
    .collect();
    assert_eq!(got, expected);
    let NodeKind::Question { answers } = &t.nodes[0].kind else {
        panic!()
    };
    assert_eq!(answers[1].label, "Lights on");
    // The three formats describe the same map.
    let opml = import_opml(OPML).unwrap();
    let xmind = import_xmind(&xmind_bytes(
        XMIND_CONTENT,
        zip::CompressionMethod::Deflated,
    ))
    .unwrap();
    assert_eq!(summary(&opml), expected);
    assert_eq!(summary(&xmind), expected);
    assert_eq!(opml.title, "No internet");
    assert_eq!(xmind.title, "No internet");
    // A hand-made map is a valid draft that can be published as it is.
    assert!(validate(&t, Known::default()).is_publishable());
}

fn round_trips(t: &Tree) {
    let mm = export_mm(t).unwrap();
    assert_eq!(&import_mm(mm.as_bytes()).unwrap(), t, "mm:\n{mm}");
    let opml = export_opml(t).unwrap();
    assert_eq!(&import_opml(opml.as_bytes()).unwrap(), t, "opml:\n{opml}");
    let xmind = export_xmind(t).unwrap();
    assert_eq!(&import_xmind(&xmind).unwrap(), t, "xmind");
}

#[test]
fn exports_round_trip_exactly() {
    round_trips(&box_tree());
    for fixture in [import_mm(MM).unwrap(), import_opml(OPML).unwrap()] {
        round_trips(&fixture);
    }
}

#[test]
fn round_trips_keep_odd_text_loops_detached_nodes_and_dangling_edges() {
    let mut t = box_tree();
    t.title = "Tabs\tand\r\nlines & <tags> \"quoted\"".into();
    t.nodes[0].content.text = "  Leading space,\r\ncarriage returns\rand ]]> & &amp;  ".into();
    t.nodes[3].title = String::new();
    t.nodes[4].allow_loop = true;
    // check → power again: a loop the map shows as a reference topic.
    t.nodes[5] = question(
        "check",
        "Lights on now?",
        &[("Yes", "fine"), ("No", "esc"), ("Retry", "power")],
    );
    t.nodes.push(end("orphan", Outcome::Unresolved));
    t.nodes
        .push(instruction("broken", "Points nowhere", "missing"));
    t.nodes.push(node(
        "j",
        "",
        NodeKind::Jump {
            tree_ref: "wifi".into(),
            return_to: Some("fine".into()),
        },
    ));
    round_trips(&t);
}

#[test]
fn exports_are_readable_by_mind_map_tools() {
    let mm = export_mm(&box_tree()).unwrap();
    assert!(mm.starts_with("<map version=\"freeplane"));
    assert!(mm.contains("<node TEXT=\"Lights\" ID=\"ID_0\">"));
    assert!(mm.contains("<attribute NAME=\"plateau-kind\" VALUE=\"question\"/>"));
    assert!(mm.contains("<richcontent TYPE=\"NOTE\">"));
    // A second edge to a node is a local link to its topic.
    assert!(mm.contains("LINK=\"#ID_"), "{mm}");
    let opml = export_opml(&box_tree()).unwrap();
    assert!(opml.contains("<opml version=\"2.0\">"));
    assert!(opml.contains("<title>Box diagnosis</title>"));
    let xmind = export_xmind(&box_tree()).unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(xmind)).unwrap();
    let content: serde_json::Value =
        serde_json::from_reader(archive.by_name("content.json").unwrap()).unwrap();
    assert_eq!(content[0]["rootTopic"]["title"], "Lights");
    assert_eq!(content[0]["class"], "sheet");
}

#[test]
fn text_edited_in_the_mind_map_tool_is_imported() {
    let mm = export_mm(&box_tree()).unwrap();
    let edited = mm
        .replace("TEXT=\"Lights\"", "TEXT=\"Box lights\"")
        .replace("<node TEXT=\"No\" ", "<node TEXT=\"No, all dark\" ");
    let t = import_mm(edited.as_bytes()).unwrap();
    assert_eq!(t.nodes[0].title, "Box lights");
    let NodeKind::Question { answers } = &t.nodes[0].kind else {
        panic!()
    };
    assert_eq!(answers[1].label, "No, all dark");
}

const LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<map version="1.0.1"><node TEXT="&lol9;"/></map>"#;

#[test]
fn billion_laughs_is_refused() {
    let err = import_mm(LAUGHS.as_bytes()).unwrap_err();
    assert!(
        matches!(err, InterchangeError::Dtd { line: 2, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("DTD"), "{err}");
    let opml = LAUGHS.replace(
        "<map version=\"1.0.1\"><node TEXT=\"&lol9;\"/></map>",
        "<opml/>",
    );
    assert!(matches!(
        import_opml(opml.as_bytes()),
        Err(InterchangeError::Dtd { .. })
    ));
    // An external entity without a DTD is only an unknown reference.
    let err = import_mm(b"<map><node TEXT=\"a\">&xxe;</node></map>").unwrap_err();
    assert!(
        matches!(&err, InterchangeError::UnknownEntity { name, .. } if name == "xxe"),
        "{err:?}"
    );
    let err = import_mm(b"<map><node TEXT=\"&xxe;\"/></map>").unwrap_err();
    assert!(matches!(err, InterchangeError::Xml { .. }), "{err:?}");
}

#[test]
fn malformed_xml_is_reported_at_its_line() {
    let err = import_mm(b"<map>\n<node TEXT=\"a\">\n</nod>\n</map>").unwrap_err();
    let InterchangeError::Xml { line, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(line, 3);
    assert!(matches!(
        import_mm(b"<map><node TEXT=\"a\">"),
        Err(InterchangeError::Xml { .. })
    ));
    assert!(matches!(
        import_mm(b"<opml version=\"2.0\"/>"),
        Err(InterchangeError::WrongFormat { .. })
    ));
    assert!(matches!(
        import_opml(b"<opml><body/></opml>"),
        Err(InterchangeError::WrongFormat { .. })
    ));
    assert!(matches!(
        import_mm(b"\xff\xfe<map/>"),
        Err(InterchangeError::NotUtf8)
    ));
    assert!(matches!(
        import_mm(b"<map><node TEXT=\"a\"/><node TEXT=\"b\"/></map>"),
        Err(InterchangeError::Xml { .. })
    ));
}

#[test]
fn huge_and_deep_files_are_refused() {
    let big = vec![b' '; interchange::MAX_INPUT_BYTES + 1];
    for result in [import_mm(&big), import_opml(&big), import_xmind(&big)] {
        assert!(
            matches!(result, Err(InterchangeError::TooLarge { .. })),
            "{result:?}"
        );
    }
    let depth = interchange::MAX_DEPTH + 5;
    let deep = format!(
        "<map>{}{}</map>",
        "<node TEXT=\"x\">".repeat(depth),
        "</node>".repeat(depth)
    );
    assert!(matches!(
        import_mm(deep.as_bytes()),
        Err(InterchangeError::TooDeep(_))
    ));
    let wide = format!(
        "<map><node TEXT=\"r\">{}</node></map>",
        "<node TEXT=\"x\"/>".repeat(interchange::MAX_TOPICS)
    );
    assert!(matches!(
        import_mm(wide.as_bytes()),
        Err(InterchangeError::TooManyTopics)
    ));
}

#[test]
fn zip_bombs_and_broken_archives_are_refused() {
    // 33 MiB of spaces deflate to a few dozen KiB.
    let bomb = " ".repeat(33 * 1024 * 1024);
    let bytes = xmind_bytes(&bomb, zip::CompressionMethod::Deflated);
    assert!(bytes.len() < 200_000, "{}", bytes.len());
    let err = import_xmind(&bytes).unwrap_err();
    assert!(matches!(err, InterchangeError::ZipBomb(_)), "{err:?}");
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..=1_000 {
        zip.start_file(format!("f{i}"), zip::write::SimpleFileOptions::default())
            .unwrap();
    }
    let many = zip.finish().unwrap().into_inner();
    assert!(matches!(
        import_xmind(&many),
        Err(InterchangeError::ZipBomb(_))
    ));
    assert!(matches!(
        import_xmind(b"PK\x03\x04 not really"),
        Err(InterchangeError::Zip(_))
    ));
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("content.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    let legacy = zip.finish().unwrap().into_inner();
    assert_eq!(
        import_xmind(&legacy).unwrap_err(),
        InterchangeError::NoContent
    );
    let not_json = xmind_bytes("{\"rootTopic\": [", zip::CompressionMethod::Stored);
    assert!(matches!(
        import_xmind(&not_json),
        Err(InterchangeError::Json(_))
    ));
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep = xmind_bytes(&deep, zip::CompressionMethod::Stored);
    assert!(matches!(
        import_xmind(&deep),
        Err(InterchangeError::TooDeep(_))
    ));
    // A corrupted deflate stream is caught by the decompressor or the CRC.
    let mut good = xmind_bytes(XMIND_CONTENT, zip::CompressionMethod::Deflated);
    let at = good.windows(12).position(|w| w == b"content.json").unwrap() + 40;
    good[at] ^= 0xff;
    assert!(import_xmind(&good).is_err());
}

#[test]
fn exports_refuse_trees_they_cannot_write() {
    let mut t = box_tree();
    t.nodes[0].content.text = "bell \u{7}".into();
    assert!(matches!(export_mm(&t), Err(InterchangeError::Export(_))));
    let mut t = box_tree();
    t.nodes.push(end("fine", Outcome::Resolved));
    assert!(matches!(export_opml(&t), Err(InterchangeError::Export(_))));
}

#[test]
fn xmind_exports_stop_at_the_depth_xmind_imports_accept() {
    let n = interchange::MAX_XMIND_DEPTH;
    let mut nodes: Vec<Node> = (0..n)
        .map(|i| instruction(&format!("n{i}"), "Step", &format!("n{}", i + 1)))
        .collect();
    nodes.push(end(&format!("n{n}"), Outcome::Resolved));
    let t = tree("n0", nodes);
    assert_eq!(export_xmind(&t).unwrap_err(), InterchangeError::TooDeep(n));
    // .mm and OPML have no such limit short of MAX_DEPTH.
    round_trips_xml(&t);
    let shallow = tree("n0", t.nodes[n / 2..].to_vec());
    let mut shallow = shallow;
    shallow.root = format!("n{}", n / 2);
    round_trips(&shallow);
}

fn round_trips_xml(t: &Tree) {
    assert_eq!(&import_mm(export_mm(t).unwrap().as_bytes()).unwrap(), t);
    assert_eq!(&import_opml(export_opml(t).unwrap().as_bytes()).unwrap(), t);
}
