//! The `plateau` binary: configuration, logging, the subcommands and graceful
//! shutdown. Everything it runs lives in the library crates.

mod config;
mod demo;
mod kb_io;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use plateau_core::knowledge::{ArticleState, Audience};
use plateau_core::model::{Language, Membership, Role};
use plateau_store::users::NewUser;
use plateau_store::Store;
use plateau_web::{AppState, WebConfig};

use crate::config::FileConfig;

#[derive(Parser)]
#[command(
    name = "plateau",
    version,
    about = "Plateau: an open-source contact-centre platform"
)]
struct Cli {
    /// Config file (default: ./plateau.toml when present).
    #[arg(long, global = true, env = "PLATEAU_CONFIG")]
    config: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long, global = true, env = "PLATEAU_LOG_FORMAT")]
    log_format: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Default)]
struct DbArgs {
    /// Directory for the embedded SQLite database [default: ./data].
    #[arg(long, env = "PLATEAU_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// postgres://… to use PostgreSQL, or sqlite://path [default: SQLite in the data directory].
    #[arg(long, env = "PLATEAU_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (desk, API, live updates).
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, env = "PLATEAU_LISTEN")]
        listen: Option<String>,
        /// Seed the demo contact centre on first start.
        #[arg(long, env = "PLATEAU_DEMO")]
        demo: bool,
        /// Also receive e-mail over SMTP on this address (e.g. 127.0.0.1:2525),
        /// for a mail server that relays the brands' support addresses.
        /// No TLS: listen on loopback or a private network.
        #[arg(long, env = "PLATEAU_SMTP_LISTEN")]
        smtp_listen: Option<String>,
        /// Speak LMTP instead of SMTP on --smtp-listen (for Postfix/Dovecot
        /// `lmtp:` transports).
        #[arg(long, env = "PLATEAU_LMTP", requires = "smtp_listen")]
        lmtp: bool,
        /// Send e-mail replies through this SMTP relay (HOST:PORT, no TLS:
        /// the organisation's MTA on loopback or a private network).
        #[arg(long, env = "PLATEAU_SMTP_RELAY")]
        smtp_relay: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Seed the demo contact centre (once), optionally with extra conversations for benchmarks.
    Demo {
        #[command(flatten)]
        db: DbArgs,
        /// Add this many synthetic conversations to the first demo brand.
        #[arg(long)]
        scale: Option<usize>,
    },
    /// Rebuild the search index from the database (after an upgrade that
    /// changes the index format, or if the index directory was lost).
    Reindex {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Import and export knowledge-base articles.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Required advisors for one interval or a CSV of intervals (Erlang C, or Erlang A with --patience-s).
    #[command(allow_negative_numbers = true)]
    Staff(plateau_wfm::cli::StaffArgs),
    /// Simulate a contact-centre day (seeded, with replications and confidence intervals).
    Simulate(plateau_wfm::cli::SimulateArgs),
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from PLATEAU_PASSWORD or standard input.
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Make the user a platform admin (every tenant).
        #[arg(long)]
        platform_admin: bool,
        /// Tenant slug to add the user to, with --role.
        #[arg(long, requires = "role")]
        tenant: Option<String>,
        /// tenant_admin, supervisor, knowledge_manager, advisor or client_viewer.
        #[arg(long, requires = "tenant")]
        role: Option<String>,
        /// Interface language: fr or en.
        #[arg(long, default_value = "fr")]
        locale: String,
    },
}

#[derive(Subcommand)]
enum KbCommand {
    /// Import a folder of Markdown (.md) or HTML (.html) articles, or a CSV
    /// file. Bad files and rows are rejected with a reason; good ones are kept.
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// Tenant slug to import into.
        #[arg(long)]
        tenant: String,
        /// Language of articles that do not state one: fr or en.
        #[arg(long)]
        language: Option<Language>,
        /// State of articles that do not state one [default: not_validated].
        #[arg(long)]
        state: Option<ArticleState>,
        /// Audience of articles that do not state one [default: internal].
        #[arg(long)]
        audience: Option<Audience>,
        /// Check everything and print the report, but write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Create product codes the tenant lacks instead of rejecting the article.
        #[arg(long)]
        create_products: bool,
        /// Also write the rejections to this CSV file (source,line,reason).
        #[arg(long)]
        report: Option<PathBuf>,
        /// A folder (searched recursively) or a single .md, .html or .csv file.
        path: PathBuf,
    },
    /// Export every article (current version): a folder of .md or .html
    /// files, or one CSV file, that `kb import` reads back.
    Export {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        tenant: String,
        #[arg(long, value_enum)]
        format: kb_io::Format,
        /// Folder for md and html, file for csv.
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a commented example plateau.toml.
    Default,
}

struct Resolved {
    database_url: String,
    /// Holds the SQLite database (by default) and the search index.
    data_dir: PathBuf,
    listen: String,
    web: WebConfig,
}

fn resolve(file: &FileConfig, db: &DbArgs, listen: Option<String>) -> anyhow::Result<Resolved> {
    let data_dir = db
        .data_dir
        .clone()
        .or_else(|| file.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from("./data"));
    let url = db
        .database_url
        .clone()
        .filter(|u| !u.is_empty())
        .or_else(|| file.database_url.clone().filter(|u| !u.is_empty()));
    let database_url = match url {
        Some(u) => u,
        None => {
            std::fs::create_dir_all(&data_dir)
                .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
            format!("sqlite://{}/plateau.db", data_dir.display())
        }
    };
    let listen = listen
        .or_else(|| file.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let mut web = WebConfig::default();
    if let Some(s) = env_or_file_bool("PLATEAU_SECURE_COOKIES", file.secure_cookies)? {
        web.secure_cookies = s;
    }
    if let Some(h) = env_or_file_num("PLATEAU_SESSION_TTL_HOURS", file.session_ttl_hours)? {
        web.session_ttl_secs = h * 3600;
    }
    if let Some(k) = env_or_file_num(
        "PLATEAU_BODY_LIMIT_KIB",
        file.body_limit_kib.map(|k| k as i64),
    )? {
        web.body_limit_bytes = usize::try_from(k.max(1))? * 1024;
    }
    // Inbound mail attachment limits (KiB): over them a message is a dead letter.
    if let Some(k) = env_or_file_num("PLATEAU_MAIL_MAX_ATTACHMENT_KIB", None)? {
        web.mail_limits.max_attachment_bytes = usize::try_from(k.max(1))? * 1024;
    }
    if let Some(k) = env_or_file_num("PLATEAU_MAIL_MAX_ATTACHMENTS_KIB", None)? {
        web.mail_limits.max_attachments_total_bytes = usize::try_from(k.max(1))? * 1024;
    }
    Ok(Resolved {
        data_dir,
        database_url,
        listen,
        web,
    })
}

fn env_or_file_bool(var: &str, file: Option<bool>) -> anyhow::Result<Option<bool>> {
    match std::env::var(var) {
        Ok(v) => match v.as_str() {
            "1" | "true" | "yes" => Ok(Some(true)),
            "0" | "false" | "no" => Ok(Some(false)),
            other => anyhow::bail!("{var} must be true or false, not {other:?}"),
        },
        Err(_) => Ok(file),
    }
}

fn env_or_file_num(var: &str, file: Option<i64>) -> anyhow::Result<Option<i64>> {
    match std::env::var(var) {
        Ok(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| anyhow::anyhow!("{var} must be a positive whole number, not {v:?}")),
        Err(_) => Ok(file),
    }
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

/// Opens the search index under the data directory. An index written by an
/// older, incompatible version is reported with the command that fixes it.
fn open_index(
    data_dir: &std::path::Path,
    options: plateau_search::IndexOptions,
) -> anyhow::Result<plateau_search::Index> {
    let dir = data_dir.join("search");
    plateau_search::Index::open_or_create_with(&dir, options).with_context(|| {
        format!(
            "cannot open the search index in {}; if Plateau was upgraded, rebuild it with `plateau reindex`",
            dir.display()
        )
    })
}

async fn open(url: &str) -> anyhow::Result<Store> {
    let store = Store::open(url)
        .await
        .with_context(|| format!("cannot open database {}", redact(url)))?;
    store.migrate().await.context("migrations failed")?;
    store
        .optimize()
        .await
        .context("refreshing planner statistics")?;
    Ok(store)
}

/// Hides a password in a database URL before it reaches a log or an error.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

fn print_logins(url: &str) {
    println!();
    println!("Plateau is running at {url}");
    println!("Demo logins (password: {}):", demo::DEMO_PASSWORD);
    for (email, what) in demo::LOGINS {
        println!("  {email:<28} {what}");
    }
    println!("API docs: {url}/api/docs    Stop with Ctrl+C.");
}

/// glibc raises its mmap threshold after the first large free, so each 19 MiB
/// argon2 buffer (one per login) would then come from the heap and stay there.
/// A fixed threshold keeps large buffers in mmap and returns them at once.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_large_allocations_out_of_the_heap() {
    // SAFETY: mallopt only changes allocator tuning; it is called once, before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_large_allocations_out_of_the_heap() {}

/// glibc keeps freed memory in each thread's arena; after a burst (the demo
/// seed, a batch of indexing on the writer's threads) an idle server would
/// hold tens of megabytes it no longer uses. Trimming once a minute gives
/// them back; on a small heap it takes well under a millisecond.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn spawn_heap_trimmer() {
    tokio::spawn(async {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            // SAFETY: malloc_trim only returns free pages to the OS; it is
            // thread-safe in glibc.
            unsafe {
                libc::malloc_trim(0);
            }
        }
    });
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn spawn_heap_trimmer() {}

fn main() -> std::process::ExitCode {
    keep_large_allocations_out_of_the_heap();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The whole cause chain on one line, without a backtrace: this is for people.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = FileConfig::load(cli.config.as_deref())?;
    let log_format = cli
        .log_format
        .clone()
        .or_else(|| file.log_format.clone())
        .unwrap_or_else(|| "text".into());
    let progress = std::io::stderr().is_terminal();
    match cli.command {
        Command::Staff(args) => {
            let mut out = std::io::stdout().lock();
            plateau_wfm::cli::run_staff(&args, &mut out).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        Command::Simulate(args) => {
            let mut out = std::io::stdout().lock();
            plateau_wfm::cli::run_simulate(&args, &mut out).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        Command::Config {
            command: ConfigCommand::Default,
        } => {
            print!("{}", config::DEFAULT_TOML);
        }
        Command::Migrate { db } => {
            init_logging(&log_format);
            let r = resolve(&file, &db, None)?;
            let store = Store::open(&r.database_url)
                .await
                .with_context(|| format!("cannot open database {}", redact(&r.database_url)))?;
            let applied = store.migrate().await?;
            println!("{} migration(s) applied; schema is current.", applied.len());
        }
        Command::Demo { db, scale } => {
            init_logging(&log_format);
            let r = resolve(&file, &db, None)?;
            let store = open(&r.database_url).await?;
            if demo::seed(&store, progress).await? {
                println!("Demo data loaded.");
            } else {
                println!("Demo data was already loaded.");
            }
            if let Some(n) = scale {
                demo::scale(&store, n, progress).await?;
                println!("Added {n} conversations to orbitel.");
            }
        }
        Command::Kb {
            command:
                KbCommand::Import {
                    db,
                    tenant,
                    language,
                    state,
                    audience,
                    dry_run,
                    create_products,
                    report,
                    path,
                },
        } => {
            init_logging(&log_format);
            let r = resolve(&file, &db, None)?;
            let store = open(&r.database_url).await?;
            let opts = kb_io::ImportOptions {
                tenant,
                language,
                state,
                audience,
                dry_run,
                create_products,
                report,
                path,
                progress,
            };
            let report = kb_io::import(&store, &opts).await?;
            kb_io::print_report(&report, dry_run);
            if report.imported == 0 {
                anyhow::bail!("nothing could be imported");
            }
        }
        Command::Kb {
            command:
                KbCommand::Export {
                    db,
                    tenant,
                    format,
                    out,
                },
        } => {
            init_logging(&log_format);
            let r = resolve(&file, &db, None)?;
            let store = open(&r.database_url).await?;
            let n = kb_io::export(&store, &tenant, format, &out, progress).await?;
            println!("Exported {n} article(s) to {}.", out.display());
        }
        Command::Reindex { db } => {
            init_logging(&log_format);
            let r = resolve(&file, &db, None)?;
            let store = open(&r.database_url).await?;
            let dir = r.data_dir.join("search");
            // A fresh directory: the old one may be of an incompatible format.
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("cannot remove {}", dir.display()))?;
            }
            // A rebuild is bulk work: a larger budget means fewer, larger segments.
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
            let options = plateau_search::IndexOptions {
                writer_memory_bytes: 100_000_000 * threads,
                writer_threads: threads,
            };
            let index = open_index(&r.data_dir, options)?;
            let bar = reindex_bar(progress);
            let started = std::time::Instant::now();
            let n = plateau_web::indexer::rebuild(&store, &index, &bar).await?;
            bar.0.finish_and_clear();
            println!(
                "Indexed {n} documents in {:.1} s into {}.",
                started.elapsed().as_secs_f64(),
                dir.display()
            );
        }
        Command::User {
            command:
                UserCommand::Add {
                    db,
                    email,
                    name,
                    platform_admin,
                    tenant,
                    role,
                    locale,
                },
        } => {
            init_logging(&log_format);
            let r = resolve(&file, &db, None)?;
            let locale: Language = locale
                .parse()
                .map_err(|e: String| anyhow::anyhow!("--locale: {e}"))?;
            let role: Option<Role> = role
                .map(|r| {
                    r.parse()
                        .map_err(|e: String| anyhow::anyhow!("--role: {e}"))
                })
                .transpose()?;
            let password = match std::env::var("PLATEAU_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    if std::io::stdin().is_terminal() {
                        eprint!("Password for {email}: ");
                    }
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\n', '\r']).to_string()
                }
            };
            plateau_core::validate::password(&password)
                .map_err(|e| anyhow::anyhow!("password {e}"))?;
            let store = open(&r.database_url).await?;
            let tenant = match &tenant {
                Some(slug) => Some(
                    store
                        .tenant_by_slug(slug)
                        .await
                        .with_context(|| format!("no tenant {slug:?}"))?,
                ),
                None => None,
            };
            let hash = plateau_web::auth::hash_password(&password)?;
            let u = store
                .create_user(
                    NewUser {
                        email: &email,
                        display_name: &name,
                        password_hash: Some(hash),
                        locale,
                        platform_admin,
                    },
                    None,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
            if let (Some(t), Some(role)) = (tenant, role) {
                store
                    .set_membership(
                        &Membership {
                            tenant_id: t.id,
                            user_id: u.id,
                            role,
                            team_id: None,
                            site_id: None,
                        },
                        None,
                    )
                    .await?;
            }
            println!("Created user {} ({}).", u.email, u.id);
        }
        Command::Serve {
            db,
            listen,
            demo: with_demo,
            smtp_listen,
            lmtp,
            smtp_relay,
        } => {
            init_logging(&log_format);
            let r = resolve(&file, &db, listen)?;
            let addr: SocketAddr = r.listen.parse().with_context(|| {
                format!(
                    "--listen {:?} is not an address like 127.0.0.1:8080",
                    r.listen
                )
            })?;
            let store = open(&r.database_url).await?;
            let with_demo = with_demo || file.demo.unwrap_or(false);
            if with_demo && demo::seed(&store, progress).await? {
                tracing::info!("demo data loaded");
            }
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            let local = listener.local_addr()?;
            tracing::info!(%local, backend = ?store.backend(), "listening");
            let url = format!("http://{local}");
            if with_demo {
                print_logins(&url);
            } else {
                println!("Plateau is running at {url}");
            }
            store
                .spawn_checkpointer()
                .await
                .context("starting the WAL checkpointer")?;
            // A server indexes small batches: tantivy's minimum writer budget
            // is plenty and keeps idle memory low.
            let options = plateau_search::IndexOptions {
                writer_memory_bytes: 15_000_000,
                writer_threads: 1,
            };
            let index = std::sync::Arc::new(open_index(&r.data_dir, options)?);
            let state = AppState::with_search(store.clone(), r.web, index);
            if let Some(relay) = smtp_relay {
                let (host, port) = relay
                    .rsplit_once(':')
                    .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
                    .with_context(|| {
                        format!("--smtp-relay {relay:?} is not HOST:PORT like 127.0.0.1:25")
                    })?;
                state.start_mail_relay(plateau_web::mail_out::RelayConfig::new(host, port));
            }
            if let Some(smtp) = smtp_listen {
                let addr: SocketAddr = smtp.parse().with_context(|| {
                    format!("--smtp-listen {smtp:?} is not an address like 127.0.0.1:2525")
                })?;
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen for mail on {addr}"))?;
                let proto = if lmtp { "LMTP" } else { "SMTP" };
                println!("Receiving mail ({proto}) on {}", listener.local_addr()?);
                let config = plateau_web::mail_in::smtp::SmtpConfig {
                    lmtp,
                    ..Default::default()
                };
                let (store, wake, stopping) = (
                    store.clone(),
                    state.mail_wake.clone(),
                    state.stopping.subscribe(),
                );
                tokio::spawn(async move {
                    if let Err(e) =
                        plateau_web::mail_in::smtp::serve(listener, store, wake, config, stopping)
                            .await
                    {
                        tracing::error!(error = %e, "mail receiver stopped");
                    }
                });
            }
            spawn_heap_trimmer();
            // Keep SQLite's planner statistics fresh as tables grow.
            let optimizer = store.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(std::time::Duration::from_secs(1800));
                every.tick().await;
                loop {
                    every.tick().await;
                    if let Err(e) = optimizer.optimize().await {
                        tracing::warn!(error = ?e, "planner statistics refresh failed");
                    }
                }
            });
            plateau_web::serve(listener, state, shutdown_signal()).await?;
            store.close().await;
            tracing::info!("stopped");
        }
    }
    Ok(())
}

/// The reindex progress bar (hidden when stderr is not a terminal).
struct ReindexBar(indicatif::ProgressBar);

fn reindex_bar(visible: bool) -> ReindexBar {
    let bar = if visible {
        indicatif::ProgressBar::new(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} indexing {wide_bar} {human_pos}/{human_len} documents ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    ReindexBar(bar)
}

impl plateau_web::indexer::Progress for ReindexBar {
    fn set_total(&self, total: u64) {
        self.0.set_length(total);
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}

fn describe(e: &plateau_store::StoreError) -> String {
    match e {
        plateau_store::StoreError::Domain(plateau_core::DomainError::Invalid(errs)) => errs
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/plateau"),
            "postgres://app:***@db:5432/plateau"
        );
        assert_eq!(
            redact("sqlite://./data/plateau.db"),
            "sqlite://./data/plateau.db"
        );
    }

    #[test]
    fn flags_beat_the_file() {
        let file = FileConfig::parse(
            "listen = \"0.0.0.0:9000\"\ndatabase_url = \"sqlite://from-file.db\"",
        )
        .unwrap();
        let r = resolve(
            &file,
            &DbArgs {
                data_dir: None,
                database_url: Some("sqlite://flag.db".into()),
            },
            None,
        )
        .unwrap();
        assert_eq!(r.database_url, "sqlite://flag.db");
        assert_eq!(r.listen, "0.0.0.0:9000");
        let r = resolve(&file, &DbArgs::default(), Some("127.0.0.1:1".into())).unwrap();
        assert_eq!(r.database_url, "sqlite://from-file.db");
        assert_eq!(r.listen, "127.0.0.1:1");
    }
}
