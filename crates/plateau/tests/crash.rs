//! A crash in the middle of writing leaves no partial conversation: the demo
//! import is killed with SIGKILL while it writes, and the database must hold
//! only whole conversations, each with its messages and its events.

#![allow(clippy::unwrap_used)] // a panic is how a test reports

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use plateau_store::conversations::InboxFilter;
use plateau_store::Store;

#[tokio::test]
async fn sigkill_mid_import_leaves_only_whole_conversations() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/plateau.db", dir.path().display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_plateau"))
        .args(["demo", "--scale", "500000", "--database-url", &url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Wait until the synthetic import has committed at least one batch, so the
    // kill lands while batches are being written.
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut seen = 0i64;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if let Ok(s) = Store::open(&url).await {
            if let Ok(t) = s.tenant_by_slug("orbitel").await {
                seen = count(&s, t.id).await;
                s.close().await;
                if seen > 1150 {
                    break;
                }
            } else {
                s.close().await;
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "import finished before it could be killed"
        );
    }
    assert!(seen > 1150, "the import never got going");
    child.kill().unwrap();
    child.wait().unwrap();

    let s = Store::open(&url).await.unwrap();
    let t = s.tenant_by_slug("orbitel").await.unwrap();
    let n = count(&s, t.id).await;
    // Batches are 1,000 conversations after the 1,150 demo ones: only whole batches exist.
    assert_eq!(
        (n - 1150) % 1000,
        0,
        "a partial batch survived: {n} conversations"
    );
    assert!(n >= seen);

    // Every conversation has its first message and its creation event, and the
    // per-tenant numbers have no holes.
    let mut cursor = None;
    let mut numbers = Vec::new();
    let created: std::collections::HashSet<uuid::Uuid> = s
        .events_after(0, 10_000_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "conversation.created")
        .filter_map(|e| e.subject_id)
        .collect();
    loop {
        let page = s
            .conversations(t.id, &InboxFilter::default(), cursor, 200)
            .await
            .unwrap();
        for c in &page.items {
            numbers.push(c.number);
            assert!(
                created.contains(&c.id),
                "conversation #{} has no creation event",
                c.number
            );
            if c.number % 97 == 0 {
                let msgs = s.messages(t.id, c.id, true).await.unwrap();
                assert_eq!(msgs.len() as i64, c.message_count, "#{}", c.number);
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(plateau_store::conversations::Cursor::decode(&c).unwrap()),
            None => break,
        }
    }
    numbers.sort_unstable();
    assert_eq!(numbers.len() as i64, n);
    assert!(
        numbers.iter().enumerate().all(|(i, x)| *x == i as i64 + 1),
        "numbering has holes"
    );
}

async fn count(s: &Store, tenant: uuid::Uuid) -> i64 {
    let mut total = 0;
    let mut cursor = None;
    loop {
        let page = s
            .conversations(tenant, &InboxFilter::default(), cursor, 200)
            .await
            .unwrap();
        total += page.items.len() as i64;
        match page.next_cursor {
            Some(c) => cursor = Some(plateau_store::conversations::Cursor::decode(&c).unwrap()),
            None => break,
        }
    }
    total
}
