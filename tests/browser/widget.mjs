// The web chat widget in a real browser: a brand administrator turns the
// chat on from the Channels page; a customer on the demo brand page opens
// the widget (keyboard only), gives a name and an e-mail and writes; an
// advisor on the desk sees the conversation arrive live, sees the customer
// typing, starts typing (the widget shows it) and replies (the widget shows
// it); a reload of the customer's page resumes the same conversation.
//
//   node tests/browser/widget.mjs http://127.0.0.1:8080
//
// Needs a server with the demo data (`plateau serve --demo`). Environment as
// for desk.mjs: PLATEAU_BROWSER, PLATEAU_SCREENSHOTS.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BASE = (process.argv[2] || process.env.PLATEAU_URL || "").replace(/\/+$/, "");
if (!/^https?:\/\//.test(BASE)) {
  console.error("usage: node widget.mjs <base-url>");
  process.exit(2);
}
const BROWSER = process.env.PLATEAU_BROWSER || "/usr/bin/chromium";
const PASSWORD = "plateau-demo";
const ADMIN = "admin@orbitel.demo";
const AWA = "awa@plateau.demo";
const STEP_TIMEOUT = 10_000;
const LIVE_TIMEOUT = 8_000;
const RUN = Date.now().toString(36);
const FIRST = `Ma box redémarre en boucle (${RUN})`;

let browser;
const pages = new Map();
const scriptErrors = [];
const shared = { customer: null, advisor: null, convUrl: null };

before(async () => {
  browser = await chromium.launch({
    executablePath: BROWSER,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    timeout: 30_000,
  });
});

after(async () => {
  if (browser) await browser.close();
});

async function newPage(name, locale) {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(STEP_TIMEOUT);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  page.on("pageerror", (e) => scriptErrors.push(`${name} on ${page.url()}: ${e.message}`));
  pages.set(name, page);
  return page;
}

let shotDir = null;
async function screenshotAll(label) {
  shotDir ??= process.env.PLATEAU_SCREENSHOTS
    ? (mkdirSync(process.env.PLATEAU_SCREENSHOTS, { recursive: true }), process.env.PLATEAU_SCREENSHOTS)
    : mkdtempSync(join(tmpdir(), "plateau-widget-"));
  const slug = label.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
  for (const [name, page] of pages) {
    if (page.isClosed()) continue;
    const path = join(shotDir, `${slug}--${name}.png`);
    try {
      await page.screenshot({ path, fullPage: true, timeout: 5_000 });
      console.log(`# screenshot of ${name} (${page.url()}): ${path}`);
    } catch (e) {
      console.log(`# could not screenshot ${name}: ${e.message}`);
    }
  }
}

function step(name, fn) {
  test(name, async (t) => {
    try {
      await fn(t);
    } catch (e) {
      await screenshotAll(name);
      throw e;
    }
  });
}

function need(t, ...what) {
  const missing = what.filter((k) => !shared[k]);
  if (missing.length) t.skip(`an earlier step failed (no ${missing.join(", ")})`);
  return missing.length === 0;
}

async function login(page, email, next) {
  await page.goto(`${BASE}/login?next=${encodeURIComponent(next)}`);
  await page.locator("input[name=email]").fill(email);
  await page.locator("input[name=password]").fill(PASSWORD);
  await page.locator("form[action='/login'] button[type=submit]").click();
}

// ---------------------------------------------------------------------------

step("the brand administrator turns the chat on from the Channels page", async () => {
  const page = await newPage("admin", "fr-FR");
  await login(page, ADMIN, "/t/orbitel/channels");
  await page.waitForURL(/\/t\/orbitel\/channels/);
  const toggle = page.locator("form[action='/t/orbitel/channels/chat'] button");
  const value = await page.locator("form[action='/t/orbitel/channels/chat'] input[name=enabled]").inputValue();
  if (value === "true") {
    await toggle.click();
    await page.waitForURL(/#web-chat/);
  }
  assert.equal(
    await page.locator("form[action='/t/orbitel/channels/chat'] input[name=enabled]").inputValue(),
    "false",
    "after turning it on, the button offers to turn it off",
  );
  const demo = page.locator("a[href='/t/orbitel/chat-demo']");
  assert.equal(await demo.count(), 1, "the Channels page links the demo page");
});

step("an advisor keeps the inbox open", async () => {
  const page = await newPage("advisor", "fr-FR");
  await login(page, AWA, "/t/orbitel/inbox?view=all&status=active");
  await page.waitForURL(/\/t\/orbitel\/inbox/);
  await page.locator("#live-dot.on").waitFor({ state: "attached" });
  shared.advisor = page;
});

step("a customer opens the widget with the keyboard and writes", async () => {
  const page = await newPage("customer", "fr-FR");
  await page.goto(`${BASE}/t/orbitel/chat-demo`);
  const launcher = page.locator("#plateau-chat .launcher");
  await launcher.waitFor();
  assert.equal(await launcher.getAttribute("aria-expanded"), "false");
  await launcher.focus();
  await page.keyboard.press("Enter");
  assert.equal(await launcher.getAttribute("aria-expanded"), "true");
  const name = page.locator("#plateau-chat input[name=name]");
  await name.waitFor();
  assert.equal(await text(page.locator("#plateau-chat .launcher")), "Discuter avec nous", "French from the page's lang");
  await page.keyboard.type("Chloé Bernard");
  await page.keyboard.press("Tab");
  await page.keyboard.type("chloe.bernard@example.org");
  await page.keyboard.press("Enter");
  const box = page.locator("#plateau-chat textarea");
  await box.waitFor();
  await box.fill(FIRST);
  await page.keyboard.press("Enter");
  const mine = page.locator("#plateau-chat .log li.customer", { hasText: FIRST });
  await mine.waitFor();
  // Acknowledged once stored: the line loses its "sending" state.
  await page.locator("#plateau-chat .log li.customer.pending").waitFor({ state: "detached" });
  assert.equal(await page.locator("#plateau-chat .log").getAttribute("aria-live"), "polite");
  shared.customer = page;
});

async function text(locator) {
  return (await locator.innerText()).replace(/\s+/g, " ").trim();
}

step("the advisor sees the chat arrive live and opens it", async (t) => {
  if (!need(t, "advisor", "customer")) return;
  const a = shared.advisor;
  const row = a.locator("#inbox-list tr", { hasText: FIRST.slice(0, 40) });
  await row.waitFor({ timeout: LIVE_TIMEOUT }).catch(() => {
    throw new Error(`the new chat did not appear live in the inbox within ${LIVE_TIMEOUT} ms`);
  });
  await a.goto(BASE + (await row.getAttribute("data-href")));
  await a.locator("#timeline").getByText(FIRST).waitFor();
  await a.locator("#live-dot.on").waitFor({ state: "attached" });
  shared.convUrl = a.url();
});

step("the customer typing shows on the advisor's page", async (t) => {
  if (!need(t, "convUrl")) return;
  const c = shared.customer;
  await c.locator("#plateau-chat textarea").pressSequentially("Et le voyant", { delay: 30 });
  await shared.advisor.locator("#chat-typing").waitFor({ state: "visible", timeout: LIVE_TIMEOUT }).catch(() => {
    throw new Error("the advisor never saw the customer typing");
  });
});

step("the advisor typing and replying show in the widget", async (t) => {
  if (!need(t, "convUrl")) return;
  const a = shared.advisor;
  const c = shared.customer;
  const reply = `Bonjour Chloé, je regarde votre ligne (${RUN}).`;
  await a.locator("#composer textarea").pressSequentially("Bonjour", { delay: 30 });
  await c.locator("#plateau-chat .typing", { hasText: "écrire" }).waitFor({ timeout: LIVE_TIMEOUT }).catch(() => {
    throw new Error("the widget never showed the advisor typing");
  });
  await a.locator("#composer textarea").fill(reply);
  await a.locator("#composer button[data-send]").click();
  const line = c.locator("#plateau-chat .log li.agent", { hasText: reply });
  await line.waitFor({ timeout: LIVE_TIMEOUT }).catch(() => {
    throw new Error("the advisor's reply did not reach the widget");
  });
  assert.match(await text(line.locator(".who")), /Awa/, "the reply names the advisor");
});

step("a reload resumes the same conversation", async (t) => {
  if (!need(t, "convUrl")) return;
  const c = shared.customer;
  await c.reload();
  await c.locator("#plateau-chat .launcher").click();
  await c.locator("#plateau-chat .log li.customer", { hasText: FIRST }).waitFor();
  await c.locator("#plateau-chat .log li.agent").first().waitFor();
  const again = `Merci ! (${RUN})`;
  await c.locator("#plateau-chat textarea").fill(again);
  await c.locator("#plateau-chat textarea").press("Enter");
  await shared.advisor.locator("#timeline").getByText(again).waitFor({ timeout: LIVE_TIMEOUT }).catch(() => {
    throw new Error("the message after the reload did not reach the same conversation");
  });
});

step("no page threw a script error", async () => {
  assert.deepEqual(scriptErrors, []);
});
