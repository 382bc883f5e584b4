//! IMAP polling against a real Dovecot on loopback, started here with its
//! own configuration, ports, certificates (a throwaway CA made with the
//! openssl CLI) and maildirs in a temporary directory, so a system Dovecot
//! does not matter. Messages appended over IMAP become conversations; a new
//! poller resuming from the stored UID does not fetch them twice; a wrong
//! password and a closed port show on the mailbox. Over TLS and in plain.
//! Without /usr/sbin/dovecot or openssl the test says SKIPPED, except under
//! CI=true, where it fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::TryStreamExt;
use plateau_web::mail_in::{imap::poll_once, MailWake};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

const DOVECOT: &str = "/usr/sbin/dovecot";
const PASSWORD_SUPPORT: &str = "s3cret-imap-pass";
const PASSWORD_PLAIN: &str = "plain-imap-pass";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

struct Dovecot {
    dir: tempfile::TempDir,
    child: Child,
    plain_port: u16,
    tls_port: u16,
    ca_pem: String,
}

impl Dovecot {
    fn start() -> Dovecot {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // A CA and a server certificate it signed, for 127.0.0.1.
        run(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "2",
                "-subj",
                "/CN=Plateau test CA",
            ],
        );
        run(
            d,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        );
        std::fs::write(
            d.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        run(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.crt",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
            ],
        );
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        std::fs::write(
            d.join("users"),
            format!("support:{{PLAIN}}{PASSWORD_SUPPORT}\nplain:{{PLAIN}}{PASSWORD_PLAIN}\n"),
        )
        .unwrap();
        // Dovecot refuses mail access as root: as root, the mail processes
        // run as nobody, who must be able to write the maildirs.
        let (uid, gid) = ids();
        if uid == 0 {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
            std::fs::set_permissions(d.join("mail"), std::fs::Permissions::from_mode(0o777))
                .unwrap();
        }
        let (mail_uid, mail_gid) = if uid == 0 { (65534, 65534) } else { (uid, gid) };
        let user_lines = if uid == 0 {
            String::new()
        } else {
            let me = whoami();
            format!("default_internal_user = {me}\ndefault_login_user = {me}\n")
        };
        let plain_port = free_port();
        let tls_port = free_port();
        let p = d.display();
        let conf = format!(
            "base_dir = {p}/run\n\
             state_dir = {p}/state\n\
             instance_name = plateau-test-{plain_port}\n\
             log_path = {p}/dovecot.log\n\
             protocols = imap\n\
             listen = 127.0.0.1\n\
             ssl = yes\n\
             ssl_cert = <{p}/server.crt\n\
             ssl_key = <{p}/server.key\n\
             disable_plaintext_auth = no\n\
             auth_mechanisms = plain login\n\
             {user_lines}\
             mail_location = maildir:{p}/mail/%u\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {p}/users\n}}\n\
             userdb {{\n  driver = static\n  args = uid={mail_uid} gid={mail_gid} home={p}/mail/%u\n}}\n\
             service imap-login {{\n  chroot =\n\
               inet_listener imap {{\n    address = 127.0.0.1\n    port = {plain_port}\n  }}\n\
               inet_listener imaps {{\n    address = 127.0.0.1\n    port = {tls_port}\n    ssl = yes\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n"
        );
        std::fs::write(d.join("dovecot.conf"), conf).unwrap();
        let child = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(d.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let ca_pem = std::fs::read_to_string(d.join("ca.crt")).unwrap();
        let dovecot = Dovecot {
            dir,
            child,
            plain_port,
            tls_port,
            ca_pem,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", plain_port)).is_ok()
                && std::net::TcpStream::connect(("127.0.0.1", tls_port)).is_ok()
            {
                return dovecot;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("dovecot did not start: {}", dovecot.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// A plain IMAP session as `user`, to append and inspect messages.
    async fn session(
        &self,
        user: &str,
        password: &str,
    ) -> async_imap::Session<tokio::net::TcpStream> {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.plain_port))
            .await
            .unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap().unwrap();
        client
            .login(user, password)
            .await
            .map_err(|(e, _)| e)
            .unwrap()
    }

    async fn append(&self, user: &str, password: &str, raw: &str, flags: Option<&str>) {
        let mut s = self.session(user, password).await;
        s.append("INBOX", flags, None, raw.replace('\n', "\r\n"))
            .await
            .unwrap();
        s.logout().await.unwrap();
    }

    async fn unseen(&self, user: &str, password: &str) -> usize {
        let mut s = self.session(user, password).await;
        s.select("INBOX").await.unwrap();
        let n = s.uid_search("UNSEEN").await.unwrap().len();
        s.logout().await.unwrap();
        n
    }

    /// Clears \Seen on every message, as a person marking them unread.
    async fn mark_all_unread(&self, user: &str, password: &str) {
        let mut s = self.session(user, password).await;
        s.select("INBOX").await.unwrap();
        s.uid_store("1:*", "-FLAGS.SILENT (\\Seen)")
            .await
            .unwrap()
            .try_collect::<Vec<_>>()
            .await
            .unwrap();
        s.logout().await.unwrap();
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its children; kill is the fallback.
        let stopped = Command::new("kill")
            .arg(self.child.id().to_string())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !stopped {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn ids() -> (u32, u32) {
    let id = |flag: &str| -> u32 {
        let out = Command::new("id").arg(flag).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    (id("-u"), id("-g"))
}

fn whoami() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn available() -> Result<(), &'static str> {
    if !PathBuf::from(DOVECOT).exists() {
        return Err("/usr/sbin/dovecot not found (apt-get install dovecot-imapd)");
    }
    let openssl = Command::new("openssl").arg("version").output();
    if !openssl.map(|o| o.status.success()).unwrap_or(false) {
        return Err("the openssl command is not installed");
    }
    Ok(())
}

async fn inbound(app: &App, state: &str) -> Vec<Value> {
    let (st, v) = app
        .get(
            "admin_a",
            &format!("/api/v1/tenants/acme/mail/inbound?state={state}"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

async fn wait_inbound(app: &App, state: &str, to: &str, n: usize) -> Vec<Value> {
    for _ in 0..300 {
        let list: Vec<Value> = inbound(app, state)
            .await
            .into_iter()
            .filter(|m| m["envelope_to"] == to)
            .collect();
        if list.len() >= n {
            assert_eq!(
                list.len(),
                n,
                "more {state} messages than expected: {list:?}"
            );
            return list;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never saw {n} {state} messages to {to}");
}

async fn mailbox(app: &App, address: &str) -> Value {
    let (st, v) = app.get("admin_a", "/api/v1/tenants/acme/mailboxes").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .find(|m| m["address"] == address)
        .cloned()
        .unwrap_or(Value::Null)
}

async fn wait_mailbox(app: &App, address: &str, until: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..300 {
        let m = mailbox(app, address).await;
        if until(&m) {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "mailbox never reached the expected state: {}",
        mailbox(app, address).await
    );
}

#[tokio::test]
async fn mail_polled_from_dovecot_becomes_conversations_once() {
    if let Err(why) = available() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "IMAP test needs Dovecot under CI: {why}"
        );
        eprintln!("SKIPPED imap test: {why}");
        return;
    }
    for app in apps().await {
        let label = app.label();
        let dovecot = Dovecot::start();
        // Already read before the mailbox was configured: the first poll
        // takes the unread messages only.
        dovecot
            .append(
                "support",
                PASSWORD_SUPPORT,
                "From: Old <old@a.example>\nTo: support@acme.example\nSubject: old news\n\
                 Message-ID: <old-1@a.example>\n\nAlready handled.\n",
                Some("(\\Seen)"),
            )
            .await;
        dovecot
            .append(
                "support",
                PASSWORD_SUPPORT,
                "From: =?UTF-8?Q?Zo=C3=A9_Martin?= <zoe@b.example>\nTo: support@acme.example\n\
                 Subject: Ma fibre est coupée\nMessage-ID: <first-1@b.example>\n\
                 Content-Type: text/plain; charset=utf-8\n\n\
                 Bonjour, la fibre est coupée depuis ce matin.\n",
                None,
            )
            .await;
        dovecot
            .append(
                "support",
                PASSWORD_SUPPORT,
                "From: Paul <paul@c.example>\nTo: support@acme.example\nSubject: Facture\n\
                 Message-ID: <first-2@c.example>\n\nMa facture est fausse.\n",
                None,
            )
            .await;

        // Bad settings are refused and change nothing.
        let mb = "/api/v1/tenants/acme/mailboxes/support@acme.example";
        let (st, v) = app
            .send(
                "admin_a",
                Method::PUT,
                mb,
                json!({"imap": {"host": "bad host", "security": "ssl", "username": "", "poll_seconds": 0}}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {v}");
        let text = v.to_string();
        for f in [
            "imap.host",
            "imap.security",
            "imap.username",
            "imap.password",
            "imap.poll_seconds",
        ] {
            assert!(text.contains(f), "{label}: {f} in {v}");
        }
        assert_eq!(mailbox(&app, "support@acme.example").await, Value::Null);

        // Over TLS, trusting the test CA.
        let (st, v) = app
            .send(
                "admin_a",
                Method::PUT,
                mb,
                json!({"team_id": app.team_a.id, "imap": {
                    "host": "127.0.0.1", "port": dovecot.tls_port, "security": "tls",
                    "username": "support", "password": PASSWORD_SUPPORT, "poll_seconds": 1,
                    "ca_pem": dovecot.ca_pem,
                }}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{label}: {v}");
        assert_eq!(v["imap"]["security"], "tls");
        assert_eq!(v["imap"]["folder"], "INBOX");
        assert_eq!(v["imap"]["has_ca"], true);
        assert!(!v.to_string().contains(PASSWORD_SUPPORT), "{label}: {v}");

        let got = wait_inbound(&app, "ingested", "support@acme.example", 2).await;
        assert!(
            got.iter().all(|m| m["source"] == "imap"),
            "{label}: {got:?}"
        );
        let mut subjects: Vec<&str> = got.iter().map(|m| m["subject"].as_str().unwrap()).collect();
        subjects.sort();
        assert_eq!(subjects, vec!["Facture", "Ma fibre est coupée"], "{label}");
        let zoe = got
            .iter()
            .find(|m| m["message_id"] == "first-1@b.example")
            .unwrap_or_else(|| panic!("{label}: {got:?}"));
        let conv = zoe["conversation_id"].as_str().unwrap().to_string();
        let (st, c) = app
            .get(
                "admin_a",
                &format!("/api/v1/tenants/acme/conversations/{conv}"),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{label}: {c}");
        assert_eq!(
            c["conversation"]["subject"], "Ma fibre est coupée",
            "{label}: {c}"
        );
        assert_eq!(c["conversation"]["team_id"], json!(app.team_a.id));
        assert!(
            c.to_string()
                .contains("la fibre est coupée depuis ce matin"),
            "{label}: {c}"
        );
        // Stored, then marked \Seen on the server; the status says so.
        assert_eq!(dovecot.unseen("support", PASSWORD_SUPPORT).await, 0);
        let m = wait_mailbox(&app, "support@acme.example", |m| {
            m["imap"]["fetched"] == 2 && m["imap"]["last_polled_at"].is_string()
        })
        .await;
        assert_eq!(m["imap"]["last_error"], Value::Null, "{label}: {m}");
        assert_eq!(m["imap"]["failures"], 0);
        assert!(!m.to_string().contains(PASSWORD_SUPPORT), "{label}: {m}");

        // A person marks everything unread: a poller starting afresh from
        // the stored UID fetches nothing again, and nothing was duplicated.
        dovecot.mark_all_unread("support", PASSWORD_SUPPORT).await;
        let cfg = app
            .db
            .store
            .mailbox_imap(app.tenant_a.id, "support@acme.example")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(cfg.last_uid, 3, "{label}");
        let n = poll_once(&app.db.store, &MailWake::default(), &cfg)
            .await
            .unwrap();
        assert_eq!(n, 0, "{label}");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let all: usize = {
            let mut total = 0;
            for s in [
                "pending",
                "processing",
                "ingested",
                "duplicate",
                "machine",
                "dead",
            ] {
                total += inbound(&app, s)
                    .await
                    .iter()
                    .filter(|m| m["envelope_to"] == "support@acme.example")
                    .count();
            }
            total
        };
        assert_eq!(all, 2, "{label}");

        // A reply arriving later threads into Zoé's conversation.
        dovecot
            .append(
                "support",
                PASSWORD_SUPPORT,
                "From: zoe@b.example\nTo: support@acme.example\nSubject: Re: Ma fibre est coupée\n\
                 Message-ID: <first-3@b.example>\nIn-Reply-To: <first-1@b.example>\n\n\
                 C'est revenu, merci.\n",
                None,
            )
            .await;
        let got = wait_inbound(&app, "ingested", "support@acme.example", 3).await;
        let reply = got
            .iter()
            .find(|m| m["message_id"] == "first-3@b.example")
            .unwrap_or_else(|| panic!("{label}: {got:?}"));
        assert_eq!(reply["conversation_id"], conv.as_str(), "{label}");

        // A wrong password shows on the mailbox (API and Channels page) and
        // the poller keeps trying; the right one clears it.
        let wrong = json!({"team_id": app.team_a.id, "imap": {
            "host": "127.0.0.1", "port": dovecot.tls_port, "security": "tls",
            "username": "support", "password": "wrong-password", "poll_seconds": 1,
            "ca_pem": dovecot.ca_pem,
        }});
        let (st, v) = app.send("admin_a", Method::PUT, mb, wrong).await;
        assert_eq!(st, StatusCode::OK, "{label}: {v}");
        let m = wait_mailbox(&app, "support@acme.example", |m| {
            m["imap"]["last_error"].is_string()
        })
        .await;
        let err = m["imap"]["last_error"].as_str().unwrap();
        assert!(err.contains("login refused"), "{label}: {err}");
        assert!(m["imap"]["failures"].as_i64() >= Some(1), "{label}: {m}");
        let page = app.browser("admin_a").await;
        let (st, html) = page.page("/t/acme/channels").await;
        assert_eq!(st, StatusCode::OK);
        assert!(html.contains("data-imap-status=\"failed\""), "{label}");
        assert!(html.contains("login refused"), "{label}");
        assert!(!html.contains("wrong-password"), "{label}");

        // A closed port is an error too, not a crash.
        let closed = free_port();
        let (st, v) = app
            .send(
                "admin_a",
                Method::PUT,
                "/api/v1/tenants/acme/mailboxes/down@acme.example",
                json!({"imap": {"host": "127.0.0.1", "port": closed, "security": "plain",
                    "username": "x", "password": "y", "poll_seconds": 1}}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{label}: {v}");
        let m = wait_mailbox(&app, "down@acme.example", |m| {
            m["imap"]["last_error"].is_string()
        })
        .await;
        assert!(
            m["imap"]["last_error"]
                .as_str()
                .unwrap()
                .contains("connection"),
            "{label}: {m}"
        );

        // In plain, on the other listener and account.
        dovecot
            .append(
                "plain",
                PASSWORD_PLAIN,
                "From: Ines <ines@d.example>\nTo: plain@acme.example\nSubject: Box\n\
                 Message-ID: <plain-1@d.example>\n\nLa box redémarre sans cesse.\n",
                None,
            )
            .await;
        let (st, v) = app
            .send(
                "admin_a",
                Method::PUT,
                "/api/v1/tenants/acme/mailboxes/plain@acme.example",
                json!({"imap": {"host": "127.0.0.1", "port": dovecot.plain_port, "security": "plain",
                    "username": "plain", "password": PASSWORD_PLAIN, "poll_seconds": 1}}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{label}: {v}");
        let got = wait_inbound(&app, "ingested", "plain@acme.example", 1).await;
        assert_eq!(got[0]["message_id"], "plain-1@d.example", "{label}");

        // Saving without IMAP settings stops the polling.
        let (st, v) = app
            .send(
                "admin_a",
                Method::PUT,
                "/api/v1/tenants/acme/mailboxes/down@acme.example",
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{label}: {v}");
        assert_eq!(v["imap"], Value::Null);
        assert!(app
            .db
            .store
            .mailbox_imap(app.tenant_a.id, "down@acme.example")
            .await
            .unwrap()
            .is_none());
        drop(dovecot);
    }
}
