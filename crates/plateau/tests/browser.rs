//! The desk in a real browser: starts `plateau serve --demo` on a free port
//! with a fresh database, then runs the Playwright script in tests/browser
//! (two advisors, live updates, keyboard shortcuts, both languages; then the
//! chat widget on a brand page talking to an advisor) against headless Chromium.
//!
//! Needs `node`, `npm ci --prefix tests/browser` and Chromium at
//! $PLATEAU_BROWSER (default /usr/bin/chromium). Without them the test says
//! `SKIPPED browser test: <reason>` and passes, except under CI=true, where it
//! fails: CI must never skip it.

#![allow(clippy::unwrap_used)] // a panic is how a test reports

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Seeding the demo in a debug build takes about ten seconds; leave room for a busy machine.
const SERVER_START: Duration = Duration::from_secs(120);
/// The script itself takes about ten seconds; this only stops a hung browser.
const SCRIPT_LIMIT: Duration = Duration::from_secs(180);

/// Kills the child process when dropped, so a failing assertion never leaves a server behind.
struct KillOnDrop {
    name: &'static str,
    child: Child,
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        eprintln!("browser test: stopped {}", self.name);
    }
}

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

/// Why the test cannot run here, if it cannot.
fn missing_prerequisite(dir: &Path, browser: &Path) -> Option<String> {
    match Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => {}
        _ => return Some("`node` is not on PATH (install Node.js 20 or later)".into()),
    }
    if !dir
        .join("node_modules/playwright-core/package.json")
        .is_file()
    {
        return Some(
            "playwright-core is not installed: run `npm ci --prefix tests/browser` \
             in the workspace root"
                .into(),
        );
    }
    if !browser.is_file() {
        return Some(format!(
            "no browser at {} (install Debian's chromium, or set PLATEAU_BROWSER)",
            browser.display()
        ));
    }
    None
}

/// One plain HTTP/1.1 GET; true on a 200 answer.
fn healthy(addr: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(2)));
    let req = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

/// Copies a child's output line by line into the test's output (captured by
/// libtest unless `--nocapture`).
fn forward(prefix: &'static str, out: impl Read + Send + 'static) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{prefix}{line}");
        }
    })
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[test]
fn desk_in_a_real_browser() {
    let dir = browser_dir();
    let browser = PathBuf::from(
        std::env::var("PLATEAU_BROWSER").unwrap_or_else(|_| "/usr/bin/chromium".into()),
    );
    if let Some(reason) = missing_prerequisite(&dir, &browser) {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("browser test cannot run on CI: {reason}");
        }
        // Straight to stderr, past libtest's capture, so a developer sees why.
        let _ = writeln!(std::io::stderr(), "SKIPPED browser test: {reason}");
        return;
    }

    // The temp dir is declared first so it is removed after the server stops.
    let data = tempfile::tempdir().expect("temp dir for the server's database");
    let server_log = data.path().join("server.log");
    let log_file = std::fs::File::create(&server_log).expect("server log file");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plateau"));
    cmd.args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path().join("data"))
        // No plateau.toml from the developer's folder, no PLATEAU_* settings
        // (a PLATEAU_DATABASE_URL would send the demo into their database).
        .current_dir(data.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file);
    for (k, _) in std::env::vars() {
        if k.starts_with("PLATEAU_") {
            cmd.env_remove(k);
        }
    }
    let started = Instant::now();
    let mut server = KillOnDrop {
        name: "plateau serve",
        child: cmd.spawn().expect("start the plateau binary"),
    };

    // Port 0 lets the system pick a free port; the server prints its address.
    let stdout = server.child.stdout.take().expect("server stdout");
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("Plateau is running at ") {
                let _ = tx.send(url.trim().to_string());
            }
        }
    });
    let base = loop {
        match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(url) => break url,
            Err(_) => {
                if let Ok(Some(status)) = server.child.try_wait() {
                    panic!(
                        "plateau serve exited ({status}) before listening; its log:\n{}",
                        tail(&server_log, 40)
                    );
                }
                assert!(
                    started.elapsed() < SERVER_START,
                    "plateau serve did not start listening within {SERVER_START:?}; its log:\n{}",
                    tail(&server_log, 40)
                );
            }
        }
    };
    let addr = base
        .strip_prefix("http://")
        .expect("server prints an http:// address")
        .to_string();
    while !healthy(&addr) {
        assert!(
            started.elapsed() < SERVER_START,
            "{base}/healthz did not answer 200 within {SERVER_START:?}; server log:\n{}",
            tail(&server_log, 40)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!(
        "browser test: demo server ready at {base} after {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The desk first; the widget scenario then adds a chat to the same demo.
    for script in ["desk.mjs", "widget.mjs"] {
        let ran = Instant::now();
        let mut node = KillOnDrop {
            name: "node",
            child: Command::new("node")
                .args(["--test-reporter=spec", script, &base])
                .current_dir(&dir)
                .env("PLATEAU_BROWSER", &browser)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start node"),
        };
        let out = forward("  ", node.child.stdout.take().expect("node stdout"));
        let err = forward("  ", node.child.stderr.take().expect("node stderr"));
        let status = loop {
            if let Some(s) = node.child.try_wait().expect("wait for node") {
                break s;
            }
            assert!(
                ran.elapsed() < SCRIPT_LIMIT,
                "tests/browser/{script} still running after {SCRIPT_LIMIT:?}: killed"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let _ = out.join();
        let _ = err.join();
        eprintln!(
            "browser test: {script} finished in {:.1} s ({status})",
            ran.elapsed().as_secs_f64()
        );
        assert!(
            status.success(),
            "the browser scenario {script} failed ({status}); see the output above (screenshots are \
             listed there). Last server log lines:\n{}",
            tail(&server_log, 30)
        );
        drop(node);
    }
    drop(server);
}
