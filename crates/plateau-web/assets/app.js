// Plateau desk behaviour: live updates over SSE and keyboard shortcuts.
// Hand-written, no dependencies. Pages work without it; it only adds.

const body = document.body;
const liveIds = (body.dataset.live || "").split(/\s+/).filter(Boolean);
const tenantId = body.dataset.tenantId || "";
const conversationId = body.dataset.conversationId || "";

// ---- live updates --------------------------------------------------------
// The server renders every region; on a relevant event we fetch the current
// page again and swap only the live regions, so markup has one source.

let refreshTimer = null;
let refreshing = false;

const threadId = body.dataset.threadId || "";

function relevant(ev) {
  if (!tenantId || ev.tenant_id !== tenantId) return false;
  const page = body.dataset.page;
  if (page === "conversation") return ev.subject_id === conversationId;
  // The forum: the list follows every new thread and answer; a thread page
  // only its own posts.
  if (page === "forum") return ev.kind.startsWith("forum.");
  if (page === "forum-thread") {
    const p = ev.payload || {};
    return ev.kind.startsWith("forum.") && (ev.subject_id === threadId || p.thread_id === threadId);
  }
  return ev.kind.startsWith("conversation.") || ev.kind.startsWith("message.");
}

function formIsBusy(el) {
  // Never replace a form the person is editing.
  return el.matches("[data-dirty]") || el.contains(document.activeElement) && document.activeElement.matches("input, select, textarea");
}

async function refresh() {
  if (refreshing) { schedule(); return; }
  refreshing = true;
  try {
    const res = await fetch(location.href, { headers: { "X-Plateau-Live": "1" }, credentials: "same-origin" });
    if (!res.ok) return;
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    for (const id of liveIds) {
      const now = document.getElementById(id);
      const next = doc.getElementById(id);
      if (!now || !next || formIsBusy(now)) continue;
      const before = now.querySelectorAll(".item").length;
      // Keyed items (forum threads arrive at the top) are fresh by key, the
      // timeline's by position at the end.
      const known = new Set(Array.from(now.querySelectorAll("[data-fresh-key]"), (el) => el.dataset.freshKey));
      const wasAtBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
      now.replaceWith(next);
      const items = next.querySelectorAll(".item");
      const keyed = next.querySelectorAll("[data-fresh-key]");
      if (keyed.length) {
        for (const el of keyed) if (!known.has(el.dataset.freshKey)) el.classList.add("fresh");
      } else {
        for (let i = before; i < items.length; i++) items[i].classList.add("fresh");
      }
      if (id === "timeline" && items.length > before && wasAtBottom) items[items.length - 1].scrollIntoView({ block: "nearest" });
    }
    bindRows();
    bindProps();
  } finally {
    refreshing = false;
  }
}

function schedule() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 150);
}

// Forum events a list or thread page redraws on (SSE delivers them by name).
const FORUM_EVENTS = ["forum.thread_created", "forum.post_created", "forum.post_edited", "forum.post_flagged",
  "forum.post_hidden", "forum.post_restored", "forum.answer_accepted", "forum.post_verified", "forum.thread_promoted",
  "forum.defect_updated", "forum.notification"];

// One stream per page: live regions need a tenant; offers reach the person
// on any desk page.
const userId = body.dataset.userId || "";
const source = (userId || (liveIds.length && tenantId)) && "EventSource" in window ? new EventSource("/api/v1/events") : null;

if (source && liveIds.length && tenantId) {
  const dot = document.getElementById("live-dot");
  source.onopen = () => dot && dot.classList.add("on");
  source.onerror = () => dot && dot.classList.remove("on");
  const handle = (msg) => {
    try { if (relevant(JSON.parse(msg.data))) schedule(); } catch (_) { /* ignore malformed */ }
  };
  for (const kind of ["conversation.created", "conversation.updated", "message.added"]) source.addEventListener(kind, handle);
  for (const kind of FORUM_EVENTS) source.addEventListener(kind, handle);
  source.addEventListener("resync", schedule);
}

// ---- offers from the router ------------------------------------------------
// The router offers a conversation to one advisor at a time; the banner shows
// it with a countdown to its expiry, and Accept opens the conversation once
// the answer is recorded. Offers already pending when the page loads come
// from GET /api/v1/me/offers.

const banner = document.getElementById("offer-banner");
const offers = new Map(); // conversation id → {tenant, subject, number, expiresAt, url}
let shown = null;
let ticker = null;

function offerTenantSlug(ev) {
  // Events carry the tenant id; the page knows the slug of the current one,
  // and /me/offers knows every slug, so it is asked when the event is elsewhere.
  return ev.tenant_id === tenantId ? body.dataset.tenantSlug || null : null;
}

function showNextOffer() {
  if (!banner) return;
  const now = Date.now();
  for (const [id, o] of offers) if (o.expiresAt <= now) offers.delete(id);
  const next = offers.entries().next();
  if (next.done) {
    banner.hidden = true;
    shown = null;
    clearInterval(ticker);
    ticker = null;
    return;
  }
  const [id, o] = next.value;
  const changed = shown !== id;
  shown = id;
  banner.querySelector("[data-offer-subject]").textContent = (o.number ? "#" + o.number + " " : "") + o.subject;
  tick();
  banner.hidden = false;
  if (changed) banner.querySelector("[data-offer-accept]").focus();
  if (!ticker) ticker = setInterval(tick, 1000);
}

function tick() {
  const o = shown && offers.get(shown);
  if (!o) return;
  const left = Math.max(0, Math.ceil((o.expiresAt - Date.now()) / 1000));
  banner.querySelector("[data-offer-countdown]").textContent = banner.dataset.seconds.replace("{n}", left);
  if (left === 0) { offers.delete(shown); showNextOffer(); }
}

async function answerOffer(accept) {
  const id = shown;
  const o = id && offers.get(id);
  if (!o) return;
  const res = await fetch("/api/v1/tenants/" + encodeURIComponent(o.tenant) + "/offers/" + id + (accept ? "/accept" : "/reject"), {
    method: "POST", credentials: "same-origin", headers: { "x-csrf-token": body.dataset.csrf || "" },
  }).catch(() => null);
  offers.delete(id);
  if (res && res.ok) {
    if (accept) { location.href = o.url; return; }
  } else {
    const msg = res && res.status === 409 ? banner.dataset.expired : banner.dataset.failed;
    banner.querySelector("[data-offer-countdown]").textContent = msg;
    setTimeout(showNextOffer, 2500);
    return;
  }
  showNextOffer();
}

async function loadOffers() {
  const res = await fetch("/api/v1/me/offers", { credentials: "same-origin" }).catch(() => null);
  if (!res || !res.ok) return;
  const list = await res.json();
  for (const o of list.items) {
    offers.set(o.conversation_id, { tenant: o.tenant, subject: o.subject, number: o.number, url: o.url, expiresAt: Date.parse(o.expires_at) });
  }
  showNextOffer();
}

if (banner && userId) {
  banner.querySelector("[data-offer-accept]").addEventListener("click", () => answerOffer(true));
  banner.querySelector("[data-offer-reject]").addEventListener("click", () => answerOffer(false));
  loadOffers();
  if (source) {
    source.addEventListener("routing.offered", (msg) => {
      let ev;
      try { ev = JSON.parse(msg.data); } catch (_) { return; }
      if (ev.payload.advisor_id !== userId) return;
      const slug = offerTenantSlug(ev);
      // Another brand's offer: its slug and link come from the list.
      if (!slug) { loadOffers(); return; }
      offers.set(ev.subject_id, {
        tenant: slug, subject: ev.payload.subject, number: ev.payload.number,
        url: "/t/" + encodeURIComponent(slug) + "/c/" + ev.payload.number, expiresAt: Date.parse(ev.payload.expires_at),
      });
      showNextOffer();
    });
    for (const kind of ["routing.offer_lapsed", "routing.offer_accepted", "routing.offer_rejected"]) {
      source.addEventListener(kind, (msg) => {
        try { const ev = JSON.parse(msg.data); offers.delete(ev.subject_id); } catch (_) { return; }
        showNextOffer();
      });
    }
  }
}

// ---- inbox rows ----------------------------------------------------------

let selected = -1;

function rows() { return Array.from(document.querySelectorAll("table[data-nav-list] tbody tr, ol[data-list] > li[data-row]")); }

function select(i) {
  const all = rows();
  if (!all.length) return;
  selected = Math.max(0, Math.min(all.length - 1, i));
  all.forEach((r, j) => { r.classList.toggle("selected", j === selected); r.setAttribute("aria-selected", j === selected ? "true" : "false"); });
  all[selected].scrollIntoView({ block: "nearest" });
}

function bindRows() {
  for (const r of rows()) {
    r.onclick = (e) => { if (!e.target.closest("a")) location.href = r.dataset.href; };
  }
  if (selected >= 0) select(selected);
}

// ---- composer and properties ---------------------------------------------

const composer = document.getElementById("composer");
function syncComposer() {
  if (!composer) return;
  const note = composer.querySelector("input[name=direction][value=note]");
  const isNote = !!(note && note.checked);
  composer.classList.toggle("is-note", isNote);
  const ta = composer.querySelector("textarea");
  ta.placeholder = isNote ? ta.dataset.notePlaceholder : ta.dataset.replyPlaceholder;
}
if (composer) {
  composer.addEventListener("change", syncComposer);
  syncComposer();
}

function bindProps() {
  const props = document.querySelector("form[data-props]");
  if (props) props.addEventListener("input", () => props.setAttribute("data-dirty", ""), { once: true });
}

// ---- tenant switcher -----------------------------------------------------

const switcher = document.querySelector("form[data-tenant-switch] select");
if (switcher) switcher.addEventListener("change", () => { location.href = "/t/" + encodeURIComponent(switcher.value) + "/inbox"; });

// ---- keyboard ------------------------------------------------------------

let pendingG = false;
document.addEventListener("keydown", (e) => {
  const typing = e.target.matches("input, textarea, select");
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.matches("textarea")) {
    e.preventDefault();
    e.target.form.requestSubmit(e.target.form.querySelector("[data-send]"));
    return;
  }
  if (e.key === "Escape" && typing) { e.target.blur(); return; }
  if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
  if (pendingG) {
    pendingG = false;
    const target = document.querySelector(`[data-key="g${e.key}"]`);
    if (target) { e.preventDefault(); location.href = target.href; }
    return;
  }
  switch (e.key) {
    case "g": pendingG = true; setTimeout(() => { pendingG = false; }, 1000); break;
    case "j": e.preventDefault(); select(selected + 1); break;
    case "k": e.preventDefault(); select(selected - 1); break;
    case "o": case "Enter": {
      const r = rows()[selected];
      if (r) { e.preventDefault(); location.href = r.dataset.href; }
      break;
    }
    case "r": case "n": {
      const radio = document.querySelector(`input[data-key="${e.key}"]`);
      if (radio) { e.preventDefault(); radio.checked = true; syncComposer(); composer.querySelector("textarea").focus(); }
      break;
    }
    case "a": {
      const take = document.querySelector("form[data-take]");
      if (take) { e.preventDefault(); take.requestSubmit(); }
      break;
    }
    case "/": {
      const box = document.getElementById("search-q") || document.getElementById("topsearch-q");
      if (box) { e.preventDefault(); box.focus(); box.select(); }
      break;
    }
    case "?": { const d = document.getElementById("shortcuts"); if (d) { e.preventDefault(); d.showModal(); } break; }
    default: {
      // A running diagnostic: 1–9 pick the answer with that number.
      if (/^[1-9]$/.test(e.key)) {
        const answer = document.querySelector(`#tree-panel .tree-answer[data-answer="${Number(e.key) - 1}"]`);
        if (answer) { e.preventDefault(); answer.click(); }
      }
    }
  }
});

bindRows();
bindProps();

// ---- knowledge: insert an article's resolution into the reply ---------------

document.addEventListener("click", (e) => {
  const b = e.target.closest("[data-insert]");
  if (!b) return;
  const body = document.getElementById("body");
  if (!body) return;
  const reply = document.querySelector('input[data-key="r"]');
  if (reply) { reply.checked = true; syncComposer(); }
  body.value = body.value ? `${body.value.trimEnd()}\n\n${b.dataset.insert}` : b.dataset.insert;
  body.focus();
});

// ---- search as you type in the top bar ---------------------------------------
// Prefix search while typing: the first hits under the box; Enter still opens
// the full results page. Titles arrive HTML-escaped with <mark> from the server.

const topSearch = document.getElementById("topsearch-q");
if (topSearch) {
  const list = document.createElement("ul");
  list.className = "suggest";
  list.setAttribute("role", "listbox");
  topSearch.after(list);
  const slug = topSearch.form.getAttribute("action").split("/")[2];
  let timer = null;
  let seq = 0;
  topSearch.addEventListener("input", () => {
    clearTimeout(timer);
    const q = topSearch.value.trim();
    if (q.length < 2) { list.replaceChildren(); return; }
    timer = setTimeout(async () => {
      const mine = ++seq;
      const r = await fetch(`/api/v1/tenants/${slug}/search?as_you_type=true&limit=6&q=${encodeURIComponent(q)}`,
        { headers: { accept: "application/json" } }).catch(() => null);
      if (!r || !r.ok || mine !== seq) return;
      const data = await r.json();
      list.replaceChildren(...data.hits.map((h) => {
        const li = document.createElement("li");
        li.setAttribute("role", "option");
        const a = document.createElement("a");
        a.href = h.url;
        a.innerHTML = h.title_html;
        li.append(a);
        return li;
      }));
    }, 150);
  });
  topSearch.addEventListener("blur", () => setTimeout(() => list.replaceChildren(), 200));
}

// ---- diagnostic trees ------------------------------------------------------
// Importing sends the file's bytes to the API (no multipart parser on the
// server) and opens the new draft; the format comes from the file name.

/** Sends a file's bytes to the API; the JSON answer, or null with the
 * problem's detail written into `out`. */
async function sendFile(method, url, file, contentType, out) {
  const r = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "content-type": contentType, "x-csrf-token": body.dataset.csrf || "", accept: "application/json" },
    body: file,
  }).catch(() => null);
  if (!r) { out.textContent = "Network error / erreur réseau"; return null; }
  const data = await r.json().catch(() => ({}));
  if (r.ok) return data;
  out.textContent = data.detail || `HTTP ${r.status}`;
  return null;
}

const importForm = document.querySelector("[data-tree-import]");
if (importForm) {
  importForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = importForm.querySelector("[data-import-error]");
    const file = importForm.querySelector("input[type=file]").files[0];
    if (!file) return;
    const ext = file.name.toLowerCase().split(".").pop();
    const format = ext === "xml" ? "opml" : ext;
    out.textContent = "";
    const url = `${importForm.dataset.treeImport}?format=${encodeURIComponent(format)}`;
    const data = await sendFile("POST", url, file, "application/octet-stream", out);
    if (data) location.href = `${importForm.dataset.treeBase}/${data.id}`;
  });
}

// Media for tree screens: the file goes as is to the API under a key made
// from its name (letters, digits, '-', '_' and '.'), which authors then use.
const blobForm = document.querySelector("[data-blob-upload]");
if (blobForm) {
  blobForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = blobForm.querySelector("[data-upload-result]");
    const file = blobForm.querySelector("input[type=file]").files[0];
    if (!file) return;
    const key = file.name.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[.-]+/, "").slice(0, 200) || "media";
    out.textContent = "…";
    const data = await sendFile("PUT", `${blobForm.dataset.blobUpload}/${encodeURIComponent(key)}`, file,
      file.type || "application/octet-stream", out);
    if (!data) return;
    out.textContent = `✔ ${data.key}`;
    const li = document.createElement("li");
    const code = document.createElement("code");
    code.textContent = data.key;
    li.append(code);
    blobForm.parentElement.querySelector("[data-media-keys]").append(li);
  });
}

// The editor saves over the API and moves the draft's revision on; the
// publish and suggestion forms must name the revision the person now sees.
const treeEditor = document.getElementById("tree-editor");
if (treeEditor) {
  for (const f of document.querySelectorAll("form:has([data-tree-revision])")) {
    f.addEventListener("submit", () => {
      for (const i of f.querySelectorAll("[data-tree-revision]")) i.value = treeEditor.dataset.revision;
    });
  }
}

// ---- wallboard ---------------------------------------------------------------
// The server renders the board; every 2 s the page fetches it again, and every
// second the longest waits tick on from their start, corrected by the
// server's clock so a skewed workstation shows the same wait.

const wall = document.querySelector("[data-wallboard]");
if (wall) {
  let skew = 0;
  const pad = (n) => String(n).padStart(2, "0");
  const clock = (s) => {
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), x = s % 60;
    return h ? `${h}:${pad(m)}:${pad(x)}` : `${m}:${pad(x)}`;
  };
  const sync = () => {
    const r = wall.querySelector("[data-now-ms]");
    if (r) skew = Number(r.dataset.nowMs) - Date.now();
  };
  const tick = () => {
    const now = Date.now() + skew;
    for (const el of wall.querySelectorAll("[data-since-ms]")) {
      el.textContent = clock(Math.max(0, Math.floor((now - Number(el.dataset.sinceMs)) / 1000)));
    }
  };
  const refresh = async () => {
    if (document.hidden) return;
    try {
      const r = await fetch(wall.dataset.wallboard, { headers: { accept: "text/html" } });
      // A lapsed session answers with the login page: let the browser go there.
      if (r.redirected) { location.reload(); return; }
      if (r.ok) { wall.innerHTML = await r.text(); sync(); tick(); }
    } catch (_) { /* offline for a moment: keep the last figures */ }
  };
  sync();
  tick();
  setInterval(tick, 1000);
  setInterval(refresh, 2000);
}

// ---- web chat typing ----------------------------------------------------------
// The customer typing in the chat widget shows under the timeline (a hint,
// never stored); the advisor typing a reply on a chat conversation tells the
// widget, at most every three seconds, and "stopped" after a pause.

const chatTyping = document.getElementById("chat-typing");
const convId = body.dataset.conversationId || "";
if (source && chatTyping && convId) {
  let hideTimer = null;
  source.addEventListener("chat.typing", (msg) => {
    let ev;
    try { ev = JSON.parse(msg.data); } catch (_) { return; }
    if (ev.conversation_id !== convId) return;
    clearTimeout(hideTimer);
    chatTyping.hidden = !ev.active;
    if (ev.active) hideTimer = setTimeout(() => { chatTyping.hidden = true; }, 6000);
  });
}
if (composer && convId && body.dataset.tenantSlug) {
  const ta = composer.querySelector("textarea");
  const channel = composer.querySelector("select[name=channel]");
  const url = "/api/v1/tenants/" + encodeURIComponent(body.dataset.tenantSlug) + "/conversations/" + convId + "/typing";
  let lastSent = 0;
  let idle = null;
  const signal = (active) => fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": body.dataset.csrf || "" },
    body: JSON.stringify({ active }),
  }).catch(() => null);
  const isChatReply = () => channel && channel.value === "chat" && !composer.classList.contains("is-note");
  if (ta) ta.addEventListener("input", () => {
    if (!isChatReply()) return;
    const now = Date.now();
    if (now - lastSent > 3000) { lastSent = now; signal(true); }
    clearTimeout(idle);
    idle = setTimeout(() => { lastSent = 0; signal(false); }, 5000);
  });
}
