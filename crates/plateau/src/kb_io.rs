//! `plateau kb import` and `plateau kb export`: a folder of Markdown or HTML
//! files, or a CSV, into a tenant's knowledge base with a report of what was
//! rejected and why; and every article back out in the same formats. The
//! formats themselves are `plateau_core::knowledge_io`'s.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use plateau_core::knowledge::{self, Article, ArticleContent, ArticleState, Audience, ProductKind};
use plateau_core::knowledge_io::{self as kio, PortableArticle};
use plateau_core::model::Language;
use plateau_core::DomainError;
use plateau_store::conversations::Cursor;
use plateau_store::knowledge::{ArticleFilter, NewArticle, NewProduct};
use plateau_store::{Store, StoreError};
use uuid::Uuid;

/// What `kb import` was asked to do.
pub struct ImportOptions {
    pub tenant: String,
    /// For files that do not say their language.
    pub language: Option<Language>,
    /// For files that do not say their state (default: not validated, so
    /// imported knowledge is reviewed before it is trusted).
    pub state: Option<ArticleState>,
    /// For files that do not say their audience (default: internal, so
    /// nothing reaches the public help centre by accident).
    pub audience: Option<Audience>,
    pub dry_run: bool,
    /// Create product codes the tenant does not have instead of rejecting.
    pub create_products: bool,
    pub report: Option<PathBuf>,
    pub path: PathBuf,
    pub progress: bool,
}

/// One file or CSV row that was not imported.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub source: String,
    pub line: Option<usize>,
    pub reason: String,
}

impl Rejection {
    fn place(&self) -> String {
        match self.line {
            Some(l) => format!("{} line {l}", self.source),
            None => self.source.clone(),
        }
    }
}

/// The outcome of an import.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Articles read (good or bad): one per file, one per CSV row.
    pub read: usize,
    pub imported: usize,
    pub products_created: Vec<String>,
    pub rejected: Vec<Rejection>,
}

/// One article to import, or why it could not even be read.
struct Item {
    source: String,
    line: Option<usize>,
    parsed: Result<PortableArticle, String>,
}

fn is_hidden(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

/// Every file under `dir`, in a stable order so reports compare across runs.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the folder {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot read the folder {}", dir.display()))?;
    entries.sort();
    for p in entries {
        if is_hidden(&p) {
            continue;
        }
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// Reads one file as text, refusing what is too large or not UTF-8.
fn read_text(path: &Path, max: usize) -> Result<String, String> {
    let len = std::fs::metadata(path)
        .map_err(|e| format!("cannot read: {e}"))?
        .len();
    if len > max as u64 {
        return Err(format!("file too large ({len} bytes; at most {max})"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Turns one file into the articles it holds (one, or one per CSV row).
fn read_file(path: &Path, name: String, items: &mut Vec<Item>) {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    let whole = |parsed| Item {
        source: name.clone(),
        line: None,
        parsed,
    };
    match ext.as_str() {
        "md" | "markdown" => {
            let parsed =
                read_text(path, kio::MAX_IMPORT_FILE).and_then(|t| kio::parse_markdown(&t));
            items.push(whole(parsed));
        }
        "html" | "htm" => {
            let parsed = read_text(path, kio::MAX_IMPORT_FILE).and_then(|t| kio::parse_html(&t));
            items.push(whole(parsed));
        }
        "csv" => match read_text(path, kio::MAX_IMPORT_CSV).and_then(|t| kio::parse_csv(&t)) {
            Ok(rows) => {
                for (line, parsed) in rows {
                    items.push(Item {
                        source: name.clone(),
                        line: Some(line),
                        parsed,
                    });
                }
            }
            Err(e) => items.push(whole(Err(e))),
        },
        _ => items.push(whole(Err(
            "not an article file: expected .md, .html or .csv".into(),
        ))),
    }
}

fn describe(e: &StoreError) -> String {
    match e {
        StoreError::Domain(DomainError::Invalid(errs)) => errs
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn bar(len: u64, visible: bool, what: &'static str) -> ProgressBar {
    let b = if visible {
        ProgressBar::new(len)
    } else {
        ProgressBar::hidden()
    };
    b.set_style(
        ProgressStyle::with_template("{msg:>10} {bar:40} {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b.set_message(what);
    b
}

/// Imports what `opts.path` holds. Only an unreadable path, an unknown
/// tenant or a database failure is an error; each bad article is a rejection.
pub async fn import(store: &Store, opts: &ImportOptions) -> anyhow::Result<ImportReport> {
    let tenant = store
        .tenant_by_slug(&opts.tenant)
        .await
        .with_context(|| format!("no tenant {:?}", opts.tenant))?;
    let root = &opts.path;
    let mut items = Vec::new();
    if root.is_dir() {
        let mut files = Vec::new();
        walk(root, &mut files)?;
        for f in files {
            let name = f.strip_prefix(root).unwrap_or(&f).display().to_string();
            read_file(&f, name, &mut items);
        }
    } else if root.is_file() {
        read_file(root, root.display().to_string(), &mut items);
    } else {
        anyhow::bail!("{} is neither a folder nor a file", root.display());
    }

    let mut products: HashMap<String, Uuid> = store
        .products(tenant.id)
        .await?
        .into_iter()
        .map(|p| (p.code, p.id))
        .collect();
    let mut report = ImportReport {
        read: items.len(),
        ..ImportReport::default()
    };
    let pb = bar(items.len() as u64, opts.progress, "articles");
    for item in items {
        let result = match item.parsed {
            Ok(a) => {
                import_one(
                    store,
                    tenant.id,
                    opts,
                    &item.source,
                    a,
                    &mut products,
                    &mut report,
                )
                .await?
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => report.imported += 1,
            Err(reason) => report.rejected.push(Rejection {
                source: item.source,
                line: item.line,
                reason,
            }),
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    if let Some(path) = &opts.report {
        write_report(path, &report.rejected)?;
    }
    Ok(report)
}

/// Checks and (unless dry-running) writes one article. The outer error is
/// fatal (the database failed); the inner one rejects this article only.
async fn import_one(
    store: &Store,
    tenant_id: Uuid,
    opts: &ImportOptions,
    source: &str,
    a: PortableArticle,
    products: &mut HashMap<String, Uuid>,
    report: &mut ImportReport,
) -> anyhow::Result<Result<(), String>> {
    let Some(language) = a.language.or(opts.language) else {
        return Ok(Err(
            "no language: add `language: fr` (or en) to the file, or pass --language".into(),
        ));
    };
    let state = a.state.or(opts.state).unwrap_or(ArticleState::NotValidated);
    let audience = a.audience.or(opts.audience).unwrap_or(Audience::Internal);
    let mut content = ArticleContent {
        title: a.title,
        issue: a.issue,
        environment: a.environment,
        resolution: a.resolution,
        cause: a.cause,
        tags: a.tags,
        product_ids: Vec::new(),
        language,
    };
    // Everything the article says is checked before any product is created,
    // so a rejected article leaves nothing behind.
    if let Err(e) = content.validated(state) {
        return Ok(Err(describe(&e.into())));
    }
    let mut codes = Vec::new();
    for raw in &a.products {
        match knowledge::product_code(raw) {
            Ok(c) => codes.push(c),
            Err(e) => return Ok(Err(format!("product code {raw:?} {e}"))),
        }
    }
    let unknown: Vec<&String> = codes
        .iter()
        .filter(|c| !products.contains_key(*c))
        .collect();
    if !unknown.is_empty() && !opts.create_products {
        let list = unknown
            .iter()
            .map(|c| format!("'{c}'"))
            .collect::<Vec<_>>()
            .join(", ");
        return Ok(Err(format!(
            "unknown product code {list} (create the products first, or pass --create-products)"
        )));
    }
    if opts.dry_run {
        for c in unknown {
            if !report.products_created.contains(c) {
                report.products_created.push(c.clone());
            }
        }
        return Ok(Ok(()));
    }
    for c in &codes {
        if !products.contains_key(c) {
            let p = store
                .create_product(
                    tenant_id,
                    &NewProduct {
                        code: c.clone(),
                        name: c.clone(),
                        kind: ProductKind::Product,
                        attributes: serde_json::json!({}),
                        parent_id: None,
                    },
                    None,
                )
                .await?;
            products.insert(c.clone(), p.id);
            report.products_created.push(c.clone());
        }
    }
    content.product_ids = codes
        .iter()
        .filter_map(|c| products.get(c).copied())
        .collect();
    // A new article cannot start archived: it is written as a draft, then archived.
    let first_state = if state == ArticleState::Archived {
        ArticleState::WorkInProgress
    } else {
        state
    };
    let note: String = format!("imported from {source}")
        .chars()
        .take(200)
        .collect();
    let created = store
        .create_article(
            tenant_id,
            &NewArticle {
                content,
                state: first_state,
                audience,
                note,
            },
            None,
        )
        .await;
    let article = match created {
        Ok(a) => a,
        Err(e @ StoreError::Domain(_)) => return Ok(Err(describe(&e))),
        Err(e) => return Err(e.into()),
    };
    if state != first_state {
        store
            .change_article_state(tenant_id, article.id, article.version, state, None)
            .await?;
    }
    Ok(Ok(()))
}

fn write_report(path: &Path, rejected: &[Rejection]) -> anyhow::Result<()> {
    let mut out = String::from("source,line,reason\r\n");
    for r in rejected {
        let line = r.line.map(|l| l.to_string()).unwrap_or_default();
        out.push_str(&format!(
            "{},{line},{}\r\n",
            csv_escape(&r.source),
            csv_escape(&r.reason)
        ));
    }
    std::fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))
}

fn csv_escape(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The report for people: counts first, then one line per rejection.
pub fn print_report(report: &ImportReport, dry_run: bool) {
    let verb = if dry_run { "Would import" } else { "Imported" };
    println!(
        "{verb} {} of {} article(s); {} rejected.",
        report.imported,
        report.read,
        report.rejected.len()
    );
    if !report.products_created.is_empty() {
        let verb = if dry_run { "Would create" } else { "Created" };
        println!("{verb} product(s): {}", report.products_created.join(", "));
    }
    for r in &report.rejected {
        println!("  rejected {}: {}", r.place(), r.reason);
    }
}

/// The export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Md,
    Html,
    Csv,
}

fn portable(a: &Article, codes: &HashMap<Uuid, String>) -> PortableArticle {
    PortableArticle {
        title: a.content.title.clone(),
        language: Some(a.content.language),
        state: Some(a.state),
        audience: Some(a.audience),
        tags: a.content.tags.clone(),
        products: a
            .content
            .product_ids
            .iter()
            .filter_map(|id| codes.get(id).cloned())
            .collect(),
        issue: a.content.issue.clone(),
        environment: a.content.environment.clone(),
        resolution: a.content.resolution.clone(),
        cause: a.content.cause.clone(),
    }
}

/// Writes every article of the tenant (its current version): one file per
/// article in the folder `out` for Markdown and HTML, one CSV file `out`.
/// Returns how many were written.
pub async fn export(
    store: &Store,
    tenant: &str,
    format: Format,
    out: &Path,
    progress: bool,
) -> anyhow::Result<usize> {
    let tenant = store
        .tenant_by_slug(tenant)
        .await
        .with_context(|| format!("no tenant {tenant:?}"))?;
    let codes: HashMap<Uuid, String> = store
        .products(tenant.id)
        .await?
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect();
    let mut articles = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .articles(tenant.id, &ArticleFilter::default(), cursor, 200)
            .await?;
        articles.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(Cursor::decode(&c)?),
            None => break,
        }
    }
    articles.sort_by_key(|a| a.number);
    let pb = bar(articles.len() as u64, progress, "articles");
    match format {
        Format::Csv => {
            let mut text = kio::csv_header();
            for a in &articles {
                text.push_str(&kio::to_csv_row(&portable(a, &codes)));
                pb.inc(1);
            }
            std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?;
        }
        Format::Md | Format::Html => {
            std::fs::create_dir_all(out)
                .with_context(|| format!("cannot create the folder {}", out.display()))?;
            let ext = if format == Format::Md { "md" } else { "html" };
            for a in &articles {
                let p = portable(a, &codes);
                let text = if format == Format::Md {
                    kio::to_markdown(&p)
                } else {
                    kio::to_html(&p)
                };
                let file = out.join(format!("{}.{ext}", kio::file_stem(a.number, &p.title)));
                std::fs::write(&file, text)
                    .with_context(|| format!("cannot write {}", file.display()))?;
                pb.inc(1);
            }
        }
    }
    pb.finish_and_clear();
    Ok(articles.len())
}
