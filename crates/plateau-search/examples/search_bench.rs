//! Search benchmark: relevance on the labelled corpus (with and without the
//! tenant's synonyms), then indexing throughput and query latency on a large
//! deterministic synthetic index (articles, forum answers, conversations and
//! messages made from the corpus vocabulary), optionally exported as TSV so
//! the PostgreSQL peer (bench/search/pg_peer.py) indexes the very same rows.
//!
//! cargo run --release -p plateau-search --example search_bench -- \
//!     --docs 1000000 --dir /tmp/plateau-search-bench --export /tmp/plateau-search-1m.tsv

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use plateau_search::eval::{self, EvalQuery, NamedDocument};
use plateau_search::{
    ArticleState, Audience, DocKind, Index, IndexOptions, Language, SearchDocument, SearchRequest,
};
use uuid::Uuid;

type AnyResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Deterministic generator (SplitMix64): the same corpus on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

struct Args {
    docs: usize,
    dir: PathBuf,
    export: Option<PathBuf>,
    threads: usize,
    memory_mb: usize,
    reps: usize,
    skip_build: bool,
}

fn args() -> AnyResult<Args> {
    let mut a = Args {
        docs: 1_000_000,
        dir: std::env::temp_dir().join("plateau-search-bench"),
        export: None,
        threads: 2,
        memory_mb: 1500,
        reps: 5,
        skip_build: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--docs" => a.docs = value()?.parse()?,
            "--dir" => a.dir = PathBuf::from(value()?),
            "--export" => a.export = Some(PathBuf::from(value()?)),
            "--threads" => a.threads = value()?.parse()?,
            "--memory-mb" => a.memory_mb = value()?.parse()?,
            "--reps" => a.reps = value()?.parse()?,
            "--skip-build" => a.skip_build = true,
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    Ok(a)
}

fn data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file)
}

const TENANTS: u128 = 20;

fn tenant(n: u128) -> Uuid {
    Uuid::from_u128(0xB000 + n)
}

fn corpus(t: Uuid) -> AnyResult<Vec<NamedDocument>> {
    let mut docs = eval::load_articles(&data("articles_fr.jsonl"), t, Language::Fr)?;
    docs.extend(eval::load_articles(
        &data("articles_en.jsonl"),
        t,
        Language::En,
    )?);
    Ok(docs)
}

fn apply_synonyms(index: &Index, t: Uuid) -> AnyResult<()> {
    for language in Language::ALL {
        let groups: Vec<Vec<String>> = eval::load_synonyms(&data("synonyms.tsv"))?
            .into_iter()
            .filter(|(l, _)| l == language)
            .map(|(_, g)| g)
            .collect();
        index.set_synonyms(t, *language, &groups)?;
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs every query `reps` times (after one warm-up pass); returns sorted
/// latencies and the relevance of the last pass.
fn run_queries(
    index: &Index,
    t: Uuid,
    queries: &[EvalQuery],
    docs: &[NamedDocument],
    reps: usize,
    facets: bool,
) -> AnyResult<(Vec<Duration>, eval::Metrics)> {
    let mut latencies = Vec::new();
    let mut scores = Vec::new();
    for pass in 0..=reps {
        scores.clear();
        for q in queries {
            let mut request = SearchRequest::new(t, &q.text)
                .language(q.language)
                .as_you_type(true)
                .limit(10);
            request.facets = facets;
            let start = Instant::now();
            let results = index.search(&request)?;
            let elapsed = start.elapsed();
            if pass > 0 {
                latencies.push(elapsed);
            }
            let ranked: Vec<String> = results
                .hits
                .iter()
                .map(|h| {
                    docs.iter()
                        .find(|d| d.doc.id == h.id)
                        .map(|d| d.name.clone())
                        .unwrap_or_default()
                })
                .collect();
            scores.push(eval::score_one(&ranked, &q.relevant, 5));
        }
    }
    latencies.sort();
    Ok((latencies, eval::aggregate(&scores)))
}

fn report(label: &str, latencies: &[Duration], m: eval::Metrics) {
    let mean =
        latencies.iter().map(|d| d.as_secs_f64()).sum::<f64>() / latencies.len().max(1) as f64;
    println!(
        "{label}: {} queries, recall@5 {:.3}, MRR {:.3}; latency p50 {:.2} ms, p99 {:.2} ms, mean {:.2} ms, max {:.2} ms ({} timed runs)",
        m.queries,
        m.recall_at_k,
        m.mrr,
        ms(percentile(latencies, 0.5)),
        ms(percentile(latencies, 0.99)),
        mean * 1000.0,
        ms(latencies.last().copied().unwrap_or_default()),
        latencies.len()
    );
}

/// Sentences of the corpus by language: the vocabulary of the synthetic docs.
fn sentences(docs: &[NamedDocument], language: Language) -> Vec<String> {
    let mut out = Vec::new();
    for d in docs.iter().filter(|d| d.doc.language == language) {
        for part in [
            &d.doc.title,
            &d.doc.issue,
            &d.doc.environment,
            &d.doc.resolution,
            &d.doc.cause,
        ] {
            out.extend(
                part.split(['.', '?', '!'])
                    .map(str::trim)
                    .filter(|s| s.len() > 12)
                    .map(str::to_string),
            );
        }
    }
    out
}

fn synth(
    rng: &mut Rng,
    n: usize,
    fr: &[String],
    en: &[String],
    products: &[String],
    tags: &[String],
) -> SearchDocument {
    let t = tenant((n as u128) % TENANTS);
    let language = if rng.below(10) < 6 {
        Language::Fr
    } else {
        Language::En
    };
    let pool = if language == Language::Fr { fr } else { en };
    let sentences = |k: usize, rng: &mut Rng| {
        (0..k)
            .map(|_| rng.pick(pool).clone())
            .collect::<Vec<_>>()
            .join(". ")
    };
    let roll = rng.below(100);
    let kind = match roll {
        0..=24 => DocKind::Article,
        25..=34 => DocKind::ForumAnswer,
        35..=49 => DocKind::Conversation,
        _ => DocKind::Message,
    };
    let id = Uuid::from_u64_pair(0x5EED_0000_0000_0000 | n as u64, rng.next());
    let mut doc = SearchDocument::new(t, id, kind, language, "");
    doc.updated_at = 1_700_000_000_000_000 + (n as i64) * 1_000_000;
    match kind {
        DocKind::Article => {
            let title_words: Vec<&str> = rng.pick(pool).split_whitespace().take(7).collect();
            doc.title = title_words.join(" ");
            doc.issue = sentences(1, rng);
            doc.environment = sentences(1, rng);
            doc.resolution = sentences(3, rng);
            doc.cause = sentences(1, rng);
            doc.product = Some(rng.pick(products).clone());
            doc.tags = vec![rng.pick(tags).clone(), rng.pick(tags).clone()];
            doc.state = Some(*rng.pick(ArticleState::ALL));
            doc.audience = Some(*rng.pick(Audience::ALL));
            doc.reuse_count = rng.next() % 200;
        }
        DocKind::ForumAnswer => {
            doc.title = rng
                .pick(pool)
                .split_whitespace()
                .take(6)
                .collect::<Vec<_>>()
                .join(" ");
            doc.body = sentences(3, rng);
            doc.product = Some(rng.pick(products).clone());
        }
        DocKind::Conversation => {
            doc.title = rng
                .pick(pool)
                .split_whitespace()
                .take(5)
                .collect::<Vec<_>>()
                .join(" ");
            doc.body = format!("{} #{}", sentences(2, rng), 100_000 + rng.below(900_000));
        }
        DocKind::Message => {
            doc.body = format!(
                "{} {}",
                sentences(1 + rng.below(2), rng),
                10_000 + rng.below(90_000)
            );
        }
    }
    doc
}

/// One row for the PostgreSQL peer: the same searchable text, split the same
/// way (title; everything else), with COPY text-format escaping.
fn export_row(out: &mut impl Write, name: &str, d: &SearchDocument) -> std::io::Result<()> {
    let clean = |s: &str| s.replace('\\', " ").replace(['\t', '\n', '\r'], " ");
    let body = [&d.issue, &d.environment, &d.resolution, &d.cause, &d.body]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| clean(s))
        .collect::<Vec<_>>()
        .join(" ");
    writeln!(
        out,
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        name,
        d.tenant_id,
        d.id,
        d.kind.code(),
        d.language.code(),
        d.state.map(|s| s.code()).unwrap_or("\\N"),
        d.reuse_count,
        clean(&d.title),
        body
    )
}

fn build_large(a: &Args, real: &[NamedDocument]) -> AnyResult<()> {
    if a.dir.exists() {
        std::fs::remove_dir_all(&a.dir)?;
    }
    let fr = sentences(real, Language::Fr);
    let en = sentences(real, Language::En);
    let mut products: Vec<String> = real.iter().filter_map(|d| d.doc.product.clone()).collect();
    products.sort();
    products.dedup();
    let mut tags: Vec<String> = real.iter().flat_map(|d| d.doc.tags.clone()).collect();
    tags.sort();
    tags.dedup();

    let options = IndexOptions {
        writer_memory_bytes: a.memory_mb * 1_000_000,
        writer_threads: a.threads,
    };
    let index = Index::open_or_create_with(&a.dir, options)?;
    let mut export = match &a.export {
        Some(p) => Some(BufWriter::new(std::fs::File::create(p)?)),
        None => None,
    };
    let mut rng = Rng(42);
    let synthetic = a.docs.saturating_sub(real.len());
    let start = Instant::now();
    // Generation is timed separately so the figure is the engine's.
    let mut generation = Duration::ZERO;
    for d in real {
        index.insert(&d.doc)?;
        if let Some(out) = export.as_mut() {
            export_row(out, &d.name, &d.doc)?;
        }
    }
    for n in 0..synthetic {
        let g = Instant::now();
        let doc = synth(&mut rng, n, &fr, &en, &products, &tags);
        if let Some(out) = export.as_mut() {
            export_row(out, "", &doc)?;
        }
        generation += g.elapsed();
        index.insert(&doc)?;
        if (n + 1) % 250_000 == 0 {
            eprintln!(
                "  {} documents, {:.1} s",
                n + 1 + real.len(),
                start.elapsed().as_secs_f64()
            );
        }
    }
    index.commit()?;
    let indexed = start.elapsed() - generation;
    let n = index.num_docs();
    index.wait_merges()?;
    let merged = start.elapsed() - generation;
    if let Some(mut out) = export {
        out.flush()?;
    }
    println!(
        "indexing: {n} documents in {:.1} s to commit ({:.0} docs/s), {:.1} s including background merges ({:.0} docs/s); generation excluded ({:.1} s); {} threads, {} MB writer budget",
        indexed.as_secs_f64(),
        n as f64 / indexed.as_secs_f64(),
        merged.as_secs_f64(),
        n as f64 / merged.as_secs_f64(),
        generation.as_secs_f64(),
        a.threads,
        a.memory_mb
    );
    println!(
        "index size on disk: {:.0} MB",
        dir_size(&a.dir) as f64 / 1e6
    );
    Ok(())
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn main() -> AnyResult<()> {
    let a = args()?;
    let t = tenant(0);
    let real = corpus(t)?;
    let queries = eval::load_queries(&data("queries.tsv"))?;

    // 1. Relevance and latency on the labelled corpus alone.
    let small = Index::create_in_ram()?;
    for d in &real {
        small.upsert(&d.doc)?;
    }
    small.commit()?;
    let (lat, m) = run_queries(&small, t, &queries, &real, a.reps, true)?;
    report("labelled corpus, no synonyms", &lat, m);
    apply_synonyms(&small, t)?;
    let (lat, m) = run_queries(&small, t, &queries, &real, a.reps, true)?;
    report("labelled corpus, tenant synonyms", &lat, m);

    // 2. The large index.
    if a.docs > 0 {
        if !a.skip_build {
            build_large(&a, &real)?;
        }
        let index = Index::open_or_create(&a.dir)?;
        apply_synonyms(&index, t)?;
        println!(
            "large index: {} documents, {} tenants",
            index.num_docs(),
            TENANTS
        );
        let (lat, m) = run_queries(&index, t, &queries, &real, a.reps, true)?;
        report("large index, facets + snippets", &lat, m);
        let (lat, m) = run_queries(&index, t, &queries, &real, a.reps, false)?;
        report("large index, snippets, no facets", &lat, m);
    }
    Ok(())
}
