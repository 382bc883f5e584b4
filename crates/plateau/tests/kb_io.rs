//! `plateau kb import` and `plateau kb export` as an operator runs them, on
//! a seeded demo: a folder with good and bad files imports the good ones and
//! reports each bad one with its reason; every export format re-imported
//! into the other brand gives back the same articles.

#![allow(clippy::unwrap_used)] // a panic is how a test reports

use std::path::Path;
use std::process::{Command, Output};

use plateau_core::knowledge_io::{parse_csv, PortableArticle};

fn plateau(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plateau"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("PLATEAU_DATABASE_URL")
        .env_remove("PLATEAU_CONFIG")
        .env("RUST_LOG", "warn")
        .current_dir(data)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Every article of a tenant, read back through a CSV export, with lists
/// sorted (ids, and so the order of products, differ between tenants).
fn articles(data: &Path, tenant: &str) -> Vec<PortableArticle> {
    let file = data.join(format!("{tenant}-check.csv"));
    ok(&plateau(
        data,
        &[
            "kb",
            "export",
            "--tenant",
            tenant,
            "--format",
            "csv",
            file.to_str().unwrap(),
        ],
    ));
    let text = std::fs::read_to_string(&file).unwrap();
    parse_csv(&text)
        .unwrap()
        .into_iter()
        .map(|(_, a)| {
            let mut a = a.unwrap();
            a.tags.sort();
            a.products.sort();
            a
        })
        .collect()
}

#[test]
fn import_reports_bad_files_and_export_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(&plateau(data, &["demo"]));

    let input = data.join("in");
    std::fs::create_dir(&input).unwrap();
    let write = |name: &str, text: &str| std::fs::write(input.join(name), text).unwrap();
    write(
        "good.md",
        "---\ntitle: Box qui redémarre en boucle\nlanguage: fr\nstate: validated\naudience: public\ntags: box, redemarrage\nproducts: box-fibre\n---\n\n## Problème\nMa box redémarre toute seule.\n\n## Résolution\nRéinitialiser la box.\n",
    );
    write(
        "good.html",
        "<html lang=\"en\"><head><title>Router keeps rebooting</title></head><body><h2>Issue</h2><p>My router restarts by itself.</p><h2>Resolution</h2><p>Factory-reset the router.</p></body></html>",
    );
    write(
        "rows.csv",
        "title,language,state,products,issue,resolution\nRoaming bill,en,validated,mobile,Huge bill after a trip,Check the roaming option\nBad state row,fr,done,,x,y\nUnknown product row,fr,validated,tondeuse,x,y\n",
    );
    write("no-title.md", "## Issue\nSomething broke.\n");
    write(
        "bad-state.md",
        "---\ntitle: T\nlanguage: fr\nstate: finished\n---\n",
    );
    write(
        "no-resolution.md",
        "---\ntitle: Validated but empty\nlanguage: fr\nstate: validated\n---\n## Problème\nx\n",
    );
    write("huge.md", &format!("# Huge\n{}", "x".repeat(1_100_000)));
    std::fs::write(input.join("latin1.md"), b"# R\xe9sum\xe9\n").unwrap();
    write("notes.txt", "not an article");

    let report_file = data.join("rejected.csv");
    let out = ok(&plateau(
        data,
        &[
            "kb",
            "import",
            "--tenant",
            "orbitel",
            "--report",
            report_file.to_str().unwrap(),
            input.to_str().unwrap(),
        ],
    ));
    assert!(
        out.starts_with("Imported 3 of 11 article(s); 8 rejected."),
        "{out}"
    );
    for (place, reason) in [
        ("rows.csv line 3", "invalid state"),
        ("rows.csv line 4", "unknown product code 'tondeuse'"),
        ("no-title.md", "missing title"),
        ("bad-state.md", "invalid state"),
        (
            "no-resolution.md",
            "resolution: a validated article has a resolution",
        ),
        ("huge.md", "file too large"),
        ("latin1.md", "not UTF-8"),
        ("notes.txt", "not an article file"),
    ] {
        assert!(
            out.lines()
                .any(|l| l.contains(&format!("rejected {place}: ")) && l.contains(reason)),
            "no rejection of {place} for {reason:?} in:\n{out}"
        );
    }
    let report = std::fs::read_to_string(&report_file).unwrap();
    assert!(report.starts_with("source,line,reason\r\n"), "{report}");
    assert_eq!(report.lines().count(), 9, "{report}");
    assert!(
        report.contains("rows.csv,4,\"unknown product code 'tondeuse'"),
        "{report}"
    );

    let orbitel = articles(data, "orbitel");
    let good = orbitel
        .iter()
        .find(|a| a.title == "Box qui redémarre en boucle")
        .unwrap();
    assert_eq!(good.products, vec!["box-fibre"]);
    assert_eq!(good.tags, vec!["box", "redemarrage"]);
    assert_eq!(good.resolution, "Réinitialiser la box.");
    let html = orbitel
        .iter()
        .find(|a| a.title == "Router keeps rebooting")
        .unwrap();
    // Files that do not say are imported for review, internal only.
    assert_eq!(html.state.map(|s| s.as_str()), Some("not_validated"));
    assert_eq!(html.audience.map(|s| s.as_str()), Some("internal"));
    assert!(orbitel.iter().any(|a| a.title == "Roaming bill"));

    // Nothing importable is a failure, and a dry run writes nothing.
    let bad_only = data.join("bad-only");
    std::fs::create_dir(&bad_only).unwrap();
    std::fs::write(bad_only.join("x.md"), "no title here").unwrap();
    let out = plateau(
        data,
        &[
            "kb",
            "import",
            "--tenant",
            "orbitel",
            bad_only.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let dry = ok(&plateau(
        data,
        &[
            "kb",
            "import",
            "--tenant",
            "orbitel",
            "--dry-run",
            input.to_str().unwrap(),
        ],
    ));
    assert!(dry.starts_with("Would import 3 of 11"), "{dry}");
    assert_eq!(articles(data, "orbitel").len(), orbitel.len());

    // Each format, exported from Orbitel and imported into Maison Lumière
    // (whose catalogue lacks Orbitel's products), gives the same articles.
    for format in ["md", "html", "csv"] {
        let out_path = data.join(format!("orbitel-export.{format}"));
        let exported = ok(&plateau(
            data,
            &[
                "kb",
                "export",
                "--tenant",
                "orbitel",
                "--format",
                format,
                out_path.to_str().unwrap(),
            ],
        ));
        assert!(
            exported.starts_with(&format!("Exported {} article(s)", orbitel.len())),
            "{exported}"
        );
        let before = articles(data, "maison-lumiere").len();
        let imported = ok(&plateau(
            data,
            &[
                "kb",
                "import",
                "--tenant",
                "maison-lumiere",
                "--create-products",
                out_path.to_str().unwrap(),
            ],
        ));
        assert!(
            imported.starts_with(&format!(
                "Imported {0} of {0} article(s); 0 rejected.",
                orbitel.len()
            )),
            "{format}: {imported}"
        );
        let lumiere = articles(data, "maison-lumiere");
        assert_eq!(lumiere.len(), before + orbitel.len(), "{format}");
        for a in &orbitel {
            assert!(
                lumiere.contains(a),
                "{format}: {:?} did not come back the same",
                a.title
            );
        }
    }
}
