//! Inbound e-mail throughput: N raw messages of mixed sizes (some with
//! attachments, a third of them replies threading into earlier ones) are
//! stored in `mail_inbound` as a receiver would, then processed by the
//! worker (parse, dedup, classify, thread, store blobs and messages).
//! Reports messages per second for the processing, on SQLite and, when
//! PLATEAU_TEST_DATABASE_URL is set, on PostgreSQL (a fresh database).
//!
//! `cargo run --release -p plateau-web --example mail_ingest -- 5000`

use std::time::Instant;

use plateau_store::mail::{AcceptedMail, InboundState};

fn message(i: usize) -> String {
    let customer = i % 500;
    let mut raw = format!(
        "From: Client {customer} <client{customer}@bench.example>\r\nTo: support@acme.example\r\n\
         Subject: Demande {i}\r\nMessage-ID: <m{i}@bench.example>\r\n\
         Date: Thu, 3 Dec 2026 10:00:00 +0100\r\n"
    );
    // One in three answers the message sent 3 before it.
    if i % 3 == 2 {
        raw.push_str(&format!("In-Reply-To: <m{}@bench.example>\r\n", i - 2));
    }
    let text = "Bonjour, ma box ne fonctionne plus depuis hier soir, merci de m'aider. "
        .repeat(1 + i % 20);
    if i.is_multiple_of(10) {
        // A photo of the router: 30 KiB of base64.
        let b64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\r\n".repeat(300);
        raw.push_str(&format!(
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--b\r\nContent-Type: image/png\r\n\
             Content-Disposition: attachment; filename=\"box.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
             {b64}--b--\r\n"
        ));
    } else if i % 4 == 1 {
        raw.push_str(&format!(
            "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--a\r\n\
             Content-Type: text/html; charset=utf-8\r\n\r\n<p>{text}</p><img src=\"https://t.example/p.gif\">\r\n--a--\r\n"
        ));
    } else {
        raw.push_str(&format!(
            "Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        ));
    }
    raw
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(2000);
    for db in plateau_store::testing::all().await? {
        let s = &db.store;
        let t = s.create_tenant("acme", "Acme", None).await?;
        s.put_mailbox(t.id, "support@acme.example", None, None)
            .await?;
        let raws: Vec<String> = (0..n).map(message).collect();
        let bytes: usize = raws.iter().map(String::len).sum();
        let start = Instant::now();
        for (i, raw) in raws.iter().enumerate() {
            let subject = format!("Demande {i}");
            s.accept_mail(AcceptedMail {
                tenant_id: t.id,
                source: "smtp",
                envelope_from: "relay@bench.example",
                envelope_to: "support@acme.example",
                message_id: None,
                subject: &subject,
                raw: raw.as_bytes(),
            })
            .await?;
        }
        let stored = start.elapsed();
        let start = Instant::now();
        let done = plateau_web::mail_in::drain(s).await?;
        let processed = start.elapsed();
        let ingested = s
            .inbound_mails(t.id, InboundState::Ingested, i64::MAX)
            .await?
            .len();
        let dead = s.inbound_mails(t.id, InboundState::Dead, 100).await?;
        println!(
            "{}: {n} messages ({:.1} MiB): accept {:.0}/s; worker {done} processed in {:.2}s = {:.0}/s; ingested {ingested}, dead {}",
            db.label,
            bytes as f64 / (1024.0 * 1024.0),
            n as f64 / stored.as_secs_f64(),
            processed.as_secs_f64(),
            done as f64 / processed.as_secs_f64(),
            dead.len(),
        );
        if let Some(d) = dead.first() {
            println!("  first dead letter: {:?}", d.detail);
        }
    }
    Ok(())
}
