// Plateau web chat widget. Embedded by a brand's pages as
//   <script src="https://plateau.example/widget.js" data-tenant="orbitel" async></script>
// It draws a launcher and a chat panel inside a shadow root (so the page's
// styles and ours never mix), speaks JSON frames over a WebSocket to the
// Plateau server it was loaded from, and keeps the session token in
// localStorage so that a reload resumes the same conversation.
(function () {
  "use strict";
  const script = document.currentScript || document.querySelector("script[data-tenant][src*='widget.js']");
  if (!script || window.__plateauChat) return;
  window.__plateauChat = true;
  const tenant = script.dataset.tenant;
  if (!tenant) return;
  const origin = new URL(script.src, location.href).origin;
  const wsUrl = origin.replace(/^http/, "ws") + "/api/v1/public/" + encodeURIComponent(tenant) + "/chat";
  const storeKey = "plateau-chat:" + tenant;

  const langOf = (s) => (String(s || "").toLowerCase().startsWith("fr") ? "fr" : "en");
  const lang = langOf(script.dataset.lang || document.documentElement.lang || navigator.language);
  const T = {
    en: {
      open: "Chat with us", close: "Close the chat", title: "Chat", intro: "Tell us who you are, then write your message.",
      name: "Your name", email: "E-mail (optional)", emailNeeded: "E-mail (required: we will answer by e-mail)",
      start: "Start", placeholder: "Write a message…", send: "Send", you: "You", agent: "Advisor",
      typing: (n) => (n ? n + " is typing…" : "An advisor is typing…"), joined: (n) => n + " joined the conversation.",
      closedUntil: (d) => "We are closed. We reopen " + d + ". Leave a message and your e-mail: we will answer by e-mail.",
      closed: "We are closed. Leave a message and your e-mail: we will answer by e-mail.",
      ended: "The conversation has ended.", offline: "Connection lost, reconnecting…", sending: "sending…",
      errors: {
        rate_limited: "You are sending messages too fast; wait a moment.", frame_too_large: "That message is too long.",
        email_required: "Please give your e-mail address so that we can answer.", bad_email: "That e-mail address does not look right.",
        bad_message: "That message cannot be sent.", internal: "Something went wrong; please try again.",
      },
    },
    fr: {
      open: "Discuter avec nous", close: "Fermer le chat", title: "Chat", intro: "Dites-nous qui vous êtes, puis écrivez votre message.",
      name: "Votre nom", email: "E-mail (facultatif)", emailNeeded: "E-mail (obligatoire : nous répondrons par e-mail)",
      start: "Commencer", placeholder: "Écrivez un message…", send: "Envoyer", you: "Vous", agent: "Conseiller",
      typing: (n) => (n ? n + " est en train d'écrire…" : "Un conseiller est en train d'écrire…"), joined: (n) => n + " a rejoint la conversation.",
      closedUntil: (d) => "Nous sommes fermés. Réouverture " + d + ". Laissez un message et votre e-mail : nous vous répondrons par e-mail.",
      closed: "Nous sommes fermés. Laissez un message et votre e-mail : nous vous répondrons par e-mail.",
      ended: "La conversation est terminée.", offline: "Connexion perdue, reconnexion…", sending: "envoi…",
      errors: {
        rate_limited: "Vous envoyez des messages trop vite ; patientez un instant.", frame_too_large: "Ce message est trop long.",
        email_required: "Indiquez votre adresse e-mail pour que nous puissions vous répondre.", bad_email: "Cette adresse e-mail semble incorrecte.",
        bad_message: "Ce message ne peut pas être envoyé.", internal: "Un problème est survenu ; réessayez.",
      },
    },
  }[lang];

  const load = () => { try { return JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (_) { return {}; } };
  const save = (v) => { try { localStorage.setItem(storeKey, JSON.stringify(v)); } catch (_) { /* private mode */ } };
  let saved = load();

  // ---- drawing ----------------------------------------------------------
  const host = document.createElement("div");
  host.id = "plateau-chat";
  const root = host.attachShadow({ mode: "open" });
  const el = (tag, attrs, text) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text != null) e.textContent = text;
    return e;
  };
  const style = el("style");
  style.textContent = `
    :host { all: initial; }
    * { box-sizing: border-box; font: 15px/1.4 system-ui, sans-serif; }
    .launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; border: 0; border-radius: 28px;
      padding: 14px 20px; background: #23395d; color: #fff; cursor: pointer; box-shadow: 0 2px 8px #0004; }
    .launcher:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible { outline: 3px solid #f5b700; outline-offset: 2px; }
    .panel { position: fixed; right: 20px; bottom: 84px; z-index: 2147483000; width: min(360px, calc(100vw - 40px));
      height: min(520px, calc(100vh - 120px)); display: flex; flex-direction: column; background: #fff; color: #1d2433;
      border-radius: 12px; box-shadow: 0 6px 24px #0005; overflow: hidden; }
    .panel[hidden] { display: none; }
    header { display: flex; align-items: center; justify-content: space-between; padding: 10px 14px; background: #23395d; color: #fff; }
    header h2 { margin: 0; font-weight: 600; }
    header button { background: none; border: 0; color: #fff; font-size: 20px; cursor: pointer; }
    .notice { margin: 0; padding: 8px 14px; background: #fff4d6; font-size: 13px; }
    .notice[hidden] { display: none; }
    .log { flex: 1; overflow-y: auto; padding: 12px 14px; margin: 0; list-style: none; }
    .log li { margin: 6px 0; max-width: 85%; padding: 8px 10px; border-radius: 10px; white-space: pre-wrap; word-wrap: break-word; }
    .log li.customer { margin-left: auto; background: #e3ecfa; }
    .log li.agent { background: #f0f0f0; }
    .log li.system { max-width: none; background: none; color: #666; font-size: 13px; text-align: center; }
    .log li .who { display: block; font-size: 12px; color: #555; }
    .log li.pending { opacity: .6; }
    .typing { min-height: 1.4em; margin: 0; padding: 0 14px; font-size: 13px; color: #555; }
    form { display: flex; gap: 6px; padding: 10px; border-top: 1px solid #ddd; }
    form.intro { flex-direction: column; }
    form[hidden] { display: none; }
    label { display: flex; flex-direction: column; font-size: 13px; gap: 2px; }
    input, textarea { border: 1px solid #aaa; border-radius: 6px; padding: 6px 8px; }
    textarea { flex: 1; resize: none; height: 3.2em; }
    form button { border: 0; border-radius: 6px; padding: 8px 12px; background: #23395d; color: #fff; cursor: pointer; }
    .error { margin: 0; padding: 6px 14px; color: #a00; font-size: 13px; }
    .error:empty { display: none; }
  `;
  const launcher = el("button", { class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "plateau-chat-panel" }, T.open);
  const panel = el("section", { class: "panel", id: "plateau-chat-panel", role: "dialog", "aria-label": T.title, hidden: "" });
  const head = el("header");
  head.append(el("h2", {}, T.title));
  const closeBtn = el("button", { type: "button", "aria-label": T.close }, "×");
  head.append(closeBtn);
  const notice = el("p", { class: "notice", role: "status", hidden: "" });
  const log = el("ol", { class: "log", role: "log", "aria-live": "polite", "aria-label": T.title });
  const typing = el("p", { class: "typing", "aria-live": "polite" });
  const error = el("p", { class: "error", role: "alert" });

  const intro = el("form", { class: "intro" });
  intro.append(el("p", {}, T.intro));
  const nameLabel = el("label", {}, T.name);
  const nameIn = el("input", { name: "name", autocomplete: "name", maxlength: "200" });
  nameLabel.append(nameIn);
  const emailLabel = el("label");
  const emailText = el("span", {}, T.email);
  const emailIn = el("input", { name: "email", type: "email", autocomplete: "email", maxlength: "254" });
  emailLabel.append(emailText, emailIn);
  intro.append(nameLabel, emailLabel, el("button", { type: "submit" }, T.start));

  const composer = el("form", { class: "composer", hidden: "" });
  const text = el("textarea", { id: "plateau-chat-text", name: "text", placeholder: T.placeholder, "aria-label": T.placeholder, maxlength: "4000" });
  composer.append(text, el("button", { type: "submit" }, T.send));

  panel.append(head, notice, log, typing, error, intro, composer);
  root.append(style, launcher, panel);
  (document.body || document.documentElement).append(host);

  // ---- state ------------------------------------------------------------
  let ws = null;
  let ready = false;
  let ended = false;
  let emailRequired = false;
  let retry = 0;
  let outbox = []; // frames written before the socket was ready
  const shown = new Set();
  let typingTimer = null;

  const known = () => saved.token || saved.started;
  function showComposer() {
    intro.hidden = true;
    composer.hidden = false;
  }
  function showIntro() {
    intro.hidden = false;
    composer.hidden = true;
    emailText.textContent = emailRequired ? T.emailNeeded : T.email;
    if (emailRequired) emailIn.setAttribute("required", "");
    else emailIn.removeAttribute("required");
  }
  function system(msg) {
    log.append(el("li", { class: "system" }, msg));
    log.scrollTop = log.scrollHeight;
  }
  function addLine(m, pendingId) {
    if (m.id && shown.has(m.id)) return;
    if (m.id) shown.add(m.id);
    let li = pendingId ? log.querySelector("li[data-client-id='" + pendingId + "']") : null;
    if (!li) {
      li = el("li");
      log.append(li);
    }
    li.className = m.from === "customer" ? "customer" : "agent";
    li.removeAttribute("data-client-id");
    li.dataset.id = m.id || "";
    li.replaceChildren(el("span", { class: "who" }, m.from === "customer" ? T.you : m.author || T.agent), document.createTextNode(m.text));
    log.scrollTop = log.scrollHeight;
  }
  function when(iso) {
    try {
      return new Intl.DateTimeFormat(lang, { weekday: "long", hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
    } catch (_) { return iso; }
  }

  function send(frame) {
    if (ws && ready && ws.readyState === 1) ws.send(JSON.stringify(frame));
    else outbox.push(frame);
  }

  function connect() {
    if (ws || ended) return;
    ready = false;
    ws = new WebSocket(wsUrl);
    ws.onopen = () => {
      retry = 0;
      ws.send(JSON.stringify({ type: "hello", token: saved.token || undefined, name: saved.name || undefined, email: saved.email || undefined, lang }));
    };
    ws.onmessage = (e) => {
      let f;
      try { f = JSON.parse(e.data); } catch (_) { return; }
      onFrame(f);
    };
    ws.onclose = () => {
      ws = null;
      ready = false;
      if (ended) return;
      notice.hidden = false;
      notice.textContent = T.offline;
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * 2 ** retry);
    };
  }

  function onFrame(f) {
    switch (f.type) {
      case "welcome":
        ready = true;
        if (f.token) { saved.token = f.token; save(saved); }
        notice.hidden = f.open;
        if (!f.open) notice.textContent = f.reopens_at ? T.closedUntil(when(f.reopens_at)) : T.closed;
        for (const m of f.history || []) addLine(m);
        for (const fr of outbox.splice(0)) ws.send(JSON.stringify(fr));
        break;
      case "offline":
        emailRequired = !!f.email_required;
        if (emailRequired) showIntro();
        break;
      case "message":
        addLine(f, f.client_id);
        if (f.from === "agent") { typing.textContent = ""; }
        break;
      case "typing":
        clearTimeout(typingTimer);
        typing.textContent = f.active ? T.typing(f.name) : "";
        if (f.active) typingTimer = setTimeout(() => { typing.textContent = ""; }, 6000);
        break;
      case "agent_joined":
        system(T.joined(f.name));
        break;
      case "closed":
        system(T.ended);
        ended = true;
        saved = { name: saved.name, email: saved.email };
        save(saved);
        composer.hidden = true;
        break;
      case "error":
        if (f.code === "unknown_session") {
          // The brand no longer knows this session: start a fresh one.
          saved = { name: saved.name, email: saved.email };
          save(saved);
          if (ws) ws.close();
          return;
        }
        if (f.code === "email_required") { emailRequired = true; showIntro(); }
        error.textContent = T.errors[f.code] || f.message || T.errors.internal;
        log.querySelectorAll("li.pending").forEach((li) => li.remove());
        break;
    }
  }

  // ---- interaction -------------------------------------------------------
  function openPanel() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    connect();
    if (known() && !emailRequired) { showComposer(); text.focus(); } else { showIntro(); nameIn.value = saved.name || ""; emailIn.value = saved.email || ""; nameIn.focus(); }
  }
  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  launcher.addEventListener("click", () => (panel.hidden ? openPanel() : closePanel()));
  closeBtn.addEventListener("click", closePanel);
  panel.addEventListener("keydown", (e) => { if (e.key === "Escape") closePanel(); });

  intro.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    const changed = saved.name !== nameIn.value.trim() || saved.email !== emailIn.value.trim();
    saved.name = nameIn.value.trim();
    saved.email = emailIn.value.trim();
    saved.started = true;
    save(saved);
    emailRequired = false;
    showComposer();
    text.focus();
    // The server learns who the customer is in its hello: say it again.
    if (changed && ws) { ws.onclose = null; ws.close(); ws = null; connect(); }
  });

  let clientSeq = 0;
  let lastTyping = 0;
  let idle = null;
  function submitText() {
    const v = text.value.trim();
    if (!v) return;
    error.textContent = "";
    const id = "c" + Date.now().toString(36) + "-" + clientSeq++;
    const li = el("li", { class: "customer pending", "data-client-id": id });
    li.append(el("span", { class: "who" }, T.you + " · " + T.sending), document.createTextNode(v));
    log.append(li);
    log.scrollTop = log.scrollHeight;
    send({ type: "message", text: v, client_id: id });
    text.value = "";
    clearTimeout(idle);
    lastTyping = 0;
    send({ type: "typing", active: false });
  }
  composer.addEventListener("submit", (e) => { e.preventDefault(); submitText(); });
  text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); submitText(); }
  });
  text.addEventListener("input", () => {
    if (!ready) return;
    const now = Date.now();
    if (now - lastTyping > 3000) { lastTyping = now; send({ type: "typing", active: true }); }
    clearTimeout(idle);
    idle = setTimeout(() => { lastTyping = 0; send({ type: "typing", active: false }); }, 4000);
  });

  // A reload of a page with a conversation under way reconnects at once, so
  // that replies arrive even before the panel is opened again.
  if (saved.token) connect();
})();
