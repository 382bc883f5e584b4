//! spawn_app(): a running server with a small fixture of two brands and one
//! user per role, each holding an API token.

use std::collections::HashMap;

use plateau_core::model::*;
use plateau_store::conversations::{CustomerRef, NewConversation};
use plateau_store::customers::NewCustomer;
use plateau_store::testing::TestDb;
use plateau_store::users::NewUser;
use plateau_web::auth::{digest, hash_password};
use plateau_web::{AppState, WebConfig};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use uuid::Uuid;

pub const PASSWORD: &str = "correct-horse-42";

/// (name, platform admin, [(member of acme rather than globex, role)])
type Fixture = (&'static str, bool, &'static [(bool, Role)]);

pub struct App {
    pub base: String,
    pub db: TestDb,
    pub tokens: HashMap<&'static str, String>,
    pub users: HashMap<&'static str, Uuid>,
    pub tenant_a: Tenant,
    #[allow(dead_code)]
    pub tenant_b: Tenant,
    pub team_a: Team,
    pub conv_a: Conversation,
    pub conv_b: Conversation,
    /// The server's state, for tests that stop its background tasks.
    #[allow(dead_code)]
    pub state: AppState,
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn sample(customer: CustomerRef, subject: &str) -> NewConversation {
    NewConversation {
        customer,
        subject: subject.into(),
        channel: Channel::Email,
        direction: Direction::Inbound,
        body: "Bonjour, ma box ne s'allume plus.".into(),
        priority: Priority::Normal,
        reason: None,
        tags: vec![],
        team_id: None,
        assignee_id: None,
        language: None,
        attachments: vec![],
        at: None,
    }
}

fn customer(email: &str) -> CustomerRef {
    CustomerRef::New(NewCustomer {
        name: "Marie Curie".into(),
        profile: CustomerProfile {
            age_band: None,
            tech_appetite: None,
            value_tier: None,
            contract_tier: ContractTier::Standard,
            language: Language::Fr,
            preferred_channel: None,
        },
        identities: vec![(IdentityKind::Email, email.into())],
    })
}

/// One app per available backend.
pub async fn apps() -> Vec<App> {
    let mut out = Vec::new();
    for db in plateau_store::testing::all().await.expect("test database") {
        out.push(spawn_app(db, WebConfig::default()).await);
    }
    out
}

pub async fn spawn_app(db: TestDb, config: WebConfig) -> App {
    let s = db.store.clone();
    let tenant_a = s.create_tenant("acme", "Acme Télécom", None).await.unwrap();
    let tenant_b = s.create_tenant("globex", "Globex", None).await.unwrap();
    let team_a = s
        .create_team(tenant_a.id, None, "N1", Tier::N1, None)
        .await
        .unwrap();
    let hash = hash_password(PASSWORD).unwrap();
    let people: &[Fixture] = &[
        ("platform", true, &[]),
        ("admin_a", false, &[(true, Role::TenantAdmin)]),
        ("sup_a", false, &[(true, Role::Supervisor)]),
        ("km_a", false, &[(true, Role::KnowledgeManager)]),
        (
            "adv_a",
            false,
            &[(true, Role::Advisor), (false, Role::Advisor)],
        ),
        ("adv2_a", false, &[(true, Role::Advisor)]),
        ("viewer_a", false, &[(true, Role::ClientViewer)]),
        ("adv_b", false, &[(false, Role::Advisor)]),
        ("nobody", false, &[]),
    ];
    let mut tokens = HashMap::new();
    let mut users = HashMap::new();
    for (name, pa, roles) in people {
        let email = format!("{name}@test.example");
        let u = s
            .create_user(
                NewUser {
                    email: &email,
                    display_name: name,
                    password_hash: Some(hash.clone()),
                    locale: Language::En,
                    platform_admin: *pa,
                },
                None,
            )
            .await
            .unwrap();
        for (in_a, role) in roles.iter() {
            let tenant_id = if *in_a { tenant_a.id } else { tenant_b.id };
            let team_id = if *in_a && *role == Role::Advisor {
                Some(team_a.id)
            } else {
                None
            };
            s.set_membership(
                &Membership {
                    tenant_id,
                    user_id: u.id,
                    role: *role,
                    team_id,
                    site_id: None,
                },
                None,
            )
            .await
            .unwrap();
        }
        let secret = format!("plt_test_{name}_{}", Uuid::now_v7().simple());
        s.create_api_token(u.id, "tests", &digest(&secret))
            .await
            .unwrap();
        tokens.insert(*name, secret);
        users.insert(*name, u.id);
    }
    let conv_a = s
        .create_conversation(
            tenant_a.id,
            sample(customer("marie@a.example"), "Box éteinte"),
            None,
        )
        .await
        .unwrap();
    let conv_b = s
        .create_conversation(
            tenant_b.id,
            sample(customer("marie@b.example"), "Globex issue"),
            None,
        )
        .await
        .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(s, config).unwrap();
    tokio::spawn(plateau_web::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    App {
        base,
        db,
        tokens,
        users,
        tenant_a,
        tenant_b,
        team_a,
        conv_a,
        conv_b,
        state,
        _stop: stop,
    }
}

impl App {
    pub fn label(&self) -> &'static str {
        self.db.label
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request as `who` with their bearer token; `None` body sends nothing.
    pub async fn call(
        &self,
        who: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let c = reqwest::Client::new();
        let mut rb = c.request(method, self.url(path));
        if let Some(t) = self.tokens.get(who) {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        rb.send().await.unwrap()
    }

    pub async fn get(&self, who: &str, path: &str) -> (StatusCode, Value) {
        let r = self.call(who, Method::GET, path, None).await;
        let st = r.status();
        (st, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn send(
        &self,
        who: &str,
        method: Method,
        path: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let r = self.call(who, method, path, Some(body)).await;
        let st = r.status();
        (st, r.json().await.unwrap_or(Value::Null))
    }

    pub fn conv_a_path(&self) -> String {
        format!("/api/v1/tenants/acme/conversations/{}", self.conv_a.id)
    }

    pub async fn event_count(&self) -> usize {
        self.db.store.count_events().await.unwrap() as usize
    }

    /// A browser-like client logged in through the login form.
    pub async fn browser(&self, who: &str) -> Browser {
        let client = cookie_client();
        let csrf = login_csrf(&client, &self.url("/login")).await;
        let r = client
            .post(self.url("/login"))
            .form(&[
                ("email", format!("{who}@test.example")),
                ("password", PASSWORD.to_string()),
                ("_csrf", csrf),
                ("next", "/".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login as {who}");
        Browser {
            client,
            base: self.base.clone(),
        }
    }
}

pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

impl Browser {
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// The CSRF token embedded in a page the server rendered for this session.
    pub async fn csrf(&self) -> String {
        let (_, html) = self.page("/settings").await;
        field(&html, "_csrf")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .unwrap()
    }
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Opens the login page (which sets the login cookie) and returns its form token.
pub async fn login_csrf(client: &reqwest::Client, login_url: &str) -> String {
    let page = client
        .get(login_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    field(&page, "_csrf")
}

/// The value of the first hidden input named `name`.
pub fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

pub fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or("")
}

// ---- signed connector requests (social webhook, CTI) ----------------------

pub fn now_s() -> i64 {
    plateau_core::Timestamp::now().0 / 1_000_000
}

/// Posts `body` to a connector endpoint, signed with `secret` at `ts`
/// unless `secret` is None (an unsigned request).
pub async fn post_signed(
    app: &App,
    path: &str,
    secret: Option<&str>,
    ts: i64,
    body: &[u8],
) -> (StatusCode, Value) {
    let mut rb = reqwest::Client::new()
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(s) = secret {
        rb = rb.header("X-Plateau-Timestamp", ts.to_string()).header(
            "X-Plateau-Signature",
            plateau_core::channels::signature::sign(s.as_bytes(), ts, body),
        );
    }
    let r = rb.send().await.unwrap();
    let st = r.status();
    (st, r.json().await.unwrap_or(Value::Null))
}

// ---- the router at work ----------------------------------------------------

/// Sets `who`'s routing profile in acme (as its supervisor).
pub async fn set_routing_profile(app: &App, who: &str, profile: Value) {
    let id = app.users[who];
    let (st, v) = app
        .send(
            "sup_a",
            reqwest::Method::PUT,
            &format!("/api/v1/tenants/acme/members/{id}/routing-profile"),
            profile,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

/// Saves acme's routing configuration as stored, changed by `edit`.
pub async fn save_routing(app: &App, edit: impl FnOnce(&mut Value)) {
    let (_, v) = app.get("admin_a", "/api/v1/tenants/acme/routing").await;
    let mut config = v["config"].clone();
    edit(&mut config);
    let (st, v) = app
        .send(
            "admin_a",
            reqwest::Method::PUT,
            "/api/v1/tenants/acme/routing",
            serde_json::json!({"expected_version": v["version"], "config": config}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

/// A new acme conversation on `channel` from a new customer; its id.
pub async fn new_conversation(app: &App, channel: &str, subject: &str) -> String {
    let (st, c) = app
        .send("sup_a", reqwest::Method::POST, "/api/v1/tenants/acme/conversations", serde_json::json!({
            "subject": subject, "channel": channel, "body": "Ma connexion rame.",
            "customer": {"name": "Jean Valjean", "email": format!("{}@ex.fr", Uuid::now_v7().simple()), "language": "fr"}
        }))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    c["id"].as_str().unwrap().to_string()
}

pub async fn available(app: &App, who: &str) {
    let (st, v) = app
        .send(
            who,
            reqwest::Method::PUT,
            "/api/v1/me/presence",
            serde_json::json!({"state": "available"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

pub async fn offers(app: &App, who: &str) -> Vec<Value> {
    let (st, v) = app.get(who, "/api/v1/me/offers").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["items"].as_array().unwrap().clone()
}

/// Polls `who`'s pending offers until one is for `conv`, for at most `wait`.
pub async fn wait_offer_for(
    app: &App,
    who: &str,
    conv: &str,
    wait: std::time::Duration,
) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    while tokio::time::Instant::now() < deadline {
        if let Some(o) = offers(app, who)
            .await
            .into_iter()
            .find(|o| o["conversation_id"] == conv)
        {
            return Some(o);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    None
}
