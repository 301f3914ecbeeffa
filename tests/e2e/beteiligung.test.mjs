#!/usr/bin/env node
// Browser test for issue 11 (participatory budget): a citizen submits a proposal through the web
// chat API; the public page /beteiligung shows nothing before moderation; the demo admin
// publishes it in the inbox and moves the demo campaign into its supporting phase; a second
// citizen supports and comments; the admin publishes the comment; the public page shows the
// proposal with its counts (1 support, 1 comment) and the comment, without any author identity,
// cookie or request to another host.
//
// Usage: node beteiligung.test.mjs <buergerbox-binary> <source-dir> <artifact-dir>
//
// Starts the real server (config/demo.json seeds "Bürgerhaushalt 2027"; port 0, temporary
// storage), drives Debian's /usr/bin/chromium through playwright-core, saves screenshots into
// <artifact-dir> (beteiligung-step-NN-*.png), stops the server with SIGTERM and expects exit
// code 0. Last line: "1 passed, 0 failed" or "0 passed, 1 failed".
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TIME_LIMIT_MS = 150_000;
const STEP_TIMEOUT_MS = 20_000;
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];
const TITLE = 'Trinkbrunnen am Marktplatz';
const DESCRIPTION = 'Im Sommer fehlt am Marktplatz Trinkwasser. <b>Bitte</b> einen Brunnen aufstellen.';
const COMMENT = 'Gute Idee, bitte auch am Bahnhof.';

let [binary, sourceDir, artifactDir] = process.argv.slice(2);
if (!binary) {
  console.error('usage: node beteiligung.test.mjs <buergerbox-binary> <source-dir> <artifact-dir>');
  process.exit(2);
}
sourceDir = path.resolve(sourceDir || path.join(HERE, '..', '..'));
artifactDir = path.resolve(artifactDir || path.join(HERE, 'artifacts'));

class TestFailure extends Error {}
function check(cond, message) {
  if (!cond) throw new TestFailure(message);
}
const log = (...a) => console.log('[e2e-beteiligung]', ...a);

// ---- the server -----------------------------------------------------------------------------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bb-e2e-beteiligung-'));
let server = null;
let serverLog = '';
let serverStdout = '';
let serverExit = null;

function startServer() {
  const cmd = path.resolve(binary);
  check(fs.existsSync(cmd), `server binary not found: ${cmd}`);
  server = spawn(cmd, ['serve', '--config', 'config/demo.json'], {
    cwd: sourceDir,
    env: { ...process.env, BUERGERBOX_SERVER_PORT: '0', BUERGERBOX_STORAGE_PATH: path.join(tmp, 'db.sqlite'),
      BUERGERBOX_STORAGE_MEDIA_DIR: path.join(tmp, 'media') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => server.on('exit', (code, signal) => {
    serverExit = { code, signal };
    resolve(serverExit);
  }));
  server.stdout.on('data', (d) => { serverStdout += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new TestFailure('server did not print event=listening within 20 s')), 20_000);
    server.stderr.on('data', (d) => {
      serverLog += d;
      const m = /event=listening host=\S+ port=(\d+)/.exec(serverLog);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new TestFailure(`server exited before listening (code ${code}, signal ${signal})`));
    });
  });
}

async function stopServer() {
  if (!server || serverExit) return serverExit;
  const exited = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
  server.kill('SIGTERM');
  const result = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 15_000))]);
  if (!result) {
    server.kill('SIGKILL');
    return { code: null, signal: 'SIGKILL (no exit within 15 s of SIGTERM)' };
  }
  return result;
}

// ---- citizens, through the web chat API --------------------------------------------------------

class Citizen {
  constructor(base) {
    this.base = base;
    this.cookie = '';
    this.csrf = '';
    this.after = 0;
    this.messages = [];
    this.consumed = 0;
  }

  async open() {
    const r = await fetch(`${this.base}/chat`);
    check(r.status === 200, `GET /chat answered ${r.status}`);
    const set = r.headers.getSetCookie().find((c) => c.startsWith('bb_chat='));
    check(set, 'GET /chat set no bb_chat cookie');
    this.cookie = set.split(';')[0];
    const m = /<meta name="csrf-token" content="([0-9a-f]+)">/.exec(await r.text());
    check(m, 'the chat page has no csrf-token meta');
    this.csrf = m[1];
  }

  async send(body) {
    const r = await fetch(`${this.base}/chat/api/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': this.csrf, cookie: this.cookie },
      body: JSON.stringify(body),
    });
    check(r.status === 202, `POST /chat/api/send ${JSON.stringify(body)} answered ${r.status}: ${await r.text()}`);
  }

  async waitFor(pred, what, timeout = STEP_TIMEOUT_MS) {
    const deadline = Date.now() + timeout;
    const start = this.consumed;
    for (;;) {
      for (let i = this.consumed; i < this.messages.length; i++) {
        if (pred(this.messages[i])) {
          this.consumed = i + 1;
          return this.messages[i];
        }
      }
      if (Date.now() >= deadline) break;
      const r = await fetch(`${this.base}/chat/api/messages?after=${this.after}`, { headers: { cookie: this.cookie } });
      check(r.status === 200, `GET /chat/api/messages answered ${r.status}`);
      const j = await r.json();
      this.messages.push(...j.messages);
      this.after = j.last;
    }
    const recent = this.messages.slice(start).map((m) => JSON.stringify(m.text.slice(0, 120))).join('\n    ') || '(none)';
    throw new TestFailure(`timed out waiting for ${what}; messages since:\n    ${recent}`);
  }

  async onboard() {
    await this.open();
    await this.send({ text: 'Hallo' });
    await this.waitFor(hasChoice('accept'), 'the privacy notice');
    await this.send({ choice: 'accept' });
    await this.waitFor(hasChoice('participation'), 'the main menu with the citizens\' budget');
  }
}

const hasChoice = (id) => (m) => (m.choices || []).some((c) => c.id === id);

async function submitProposal(citizen) {
  await citizen.send({ choice: 'participation' });
  const home = await citizen.waitFor(hasChoice('prop:new'), 'the campaign home with "submit"');
  check(home.text.includes('Bürgerhaushalt 2027'), `the home does not name the demo campaign: ${home.text}`);
  await citizen.send({ choice: 'prop:new' });
  await citizen.waitFor(hasChoice('cancel'), 'the title question');
  await citizen.send({ text: TITLE });
  await citizen.waitFor(hasChoice('cancel'), 'the description question');
  await citizen.send({ text: DESCRIPTION });
  await citizen.waitFor(hasChoice('skip'), 'the cost question');
  await citizen.send({ text: '25000' });
  await citizen.waitFor(hasChoice('topic:0'), 'the topic question');
  await citizen.send({ choice: 'topic:0' });
  await citizen.waitFor((m) => m.request_location, 'the location question');
  await citizen.send({ choice: 'skip' });
  await citizen.waitFor(hasChoice('skip'), 'the photo question');
  await citizen.send({ choice: 'skip' });
  await citizen.waitFor(hasChoice('confirm'), 'the summary');
  await citizen.send({ choice: 'confirm' });
  await citizen.waitFor((m) => m.text.includes(`„${TITLE}“ ist eingegangen`), 'the receipt');
}

// ---- the browser ----------------------------------------------------------------------------

let browser = null;
let page = null;
let stepNo = 0;
const consoleErrors = [];
const foreignRequests = [];
const dialogs = [];

async function screenshot(name) {
  stepNo += 1;
  const file = path.join(artifactDir, `beteiligung-step-${String(stepNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  log(`step ${stepNo}: ${name}`);
}

const isoDay = (offsetDays) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

async function run() {
  fs.mkdirSync(artifactDir, { recursive: true });
  for (const f of fs.readdirSync(artifactDir)) if (/^beteiligung-(step-\d+-.*|failure)\.png$/.test(f)) fs.rmSync(path.join(artifactDir, f));
  check(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install chromium; scripts/install-deps.sh does it)`);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new TestFailure(`playwright-core is not installed in ${HERE} (npm ci there): ${e.message}`);
  }

  const port = await startServer();
  const base = `http://127.0.0.1:${port}`;
  log(`server listening on ${base}`);
  const demo = /Staff inbox \(demo\): \S+ +login: (\S+) +password: (\S+)/.exec(serverStdout);
  check(demo, `the demo admin's login line is missing from stdout: ${JSON.stringify(serverStdout.slice(0, 300))}`);
  const [, login, password] = demo;

  // 1. Anna submits a proposal by chat.
  const anna = new Citizen(base);
  await anna.onboard();
  await submitProposal(anna);
  log('proposal submitted');

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'de-DE', reducedMotion: 'reduce' });
  page = await context.newPage();
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname)) foreignRequests.push(req.url());
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /\/favicon\.ico$/.test(msg.location().url || '')) return;
    if (msg.type() === 'error') consoleErrors.push(`${msg.text()} (${msg.location().url || 'page'})`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });

  // 2. The public page: the campaign, and nothing before moderation.
  let res = await page.goto(`${base}/beteiligung`, { waitUntil: 'load' });
  check(res.status() === 200, `GET /beteiligung answered ${res.status()}`);
  const csp = res.headers()['content-security-policy'] || '';
  check(csp.includes("default-src 'none'") && csp.includes("script-src 'self'"), `no strict CSP on /beteiligung: ${csp}`);
  check(!res.headers()['set-cookie'], 'the public page sets a cookie');
  await page.getByRole('heading', { name: 'Bürgerhaushalt 2027' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  check(await page.locator('[data-proposal-id]').count() === 0, 'a proposal is public before moderation');
  check((await page.locator('.phase').textContent()) === 'Vorschläge sammeln', 'the phase is not "collecting"');
  await screenshot('public-before-moderation');

  // 3. The demo admin publishes the proposal in the inbox.
  await page.goto(`${base}/inbox/login`);
  await page.getByLabel('Login').fill(login);
  await page.getByLabel('Passwort').fill(password);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  // The demo password was printed on the terminal: the inbox asks for an own one first.
  await page.getByRole('heading', { name: 'Mein Konto' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.getByLabel('Aktuelles Passwort').fill(password);
  await page.getByLabel('Neues Passwort (mind. 10 Zeichen)').fill('ein-eigenes-demo-passwort');
  await page.getByLabel('Neues Passwort wiederholen').fill('ein-eigenes-demo-passwort');
  await page.getByRole('button', { name: 'Passwort ändern' }).click();
  await page.getByRole('heading', { name: 'Meldungen' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.getByRole('link', { name: 'Beteiligung', exact: true }).click();
  await page.getByRole('heading', { name: 'Bürgerbeteiligung' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const card = page.locator('section.card', { hasText: TITLE });
  check(await card.count() === 1, 'the new proposal is not in the moderation queue');
  check(await page.locator('main b').count() === 0, 'markup in the description was rendered as HTML');
  await screenshot('moderation-queue');
  await card.locator('form.publish button').click();
  await page.locator('.flash').waitFor({ timeout: STEP_TIMEOUT_MS });
  await anna.waitFor((m) => m.text.includes(`„${TITLE}“ ist jetzt veröffentlicht`), 'the "published" notice');
  log('anna was told that her proposal is published');

  // 4. The admin moves the campaign into "commenting and supporting" (dates are days).
  await page.locator('details', { hasText: 'Kampagne bearbeiten' }).first().locator('summary').click();
  const campaignForm = page.locator('details[open] form.campaign');
  const dates = { collecting_from: -3, supporting_from: -1, review_from: 10, decision_from: 20, implementation_from: 30, closed_from: 365 };
  for (const [name, offset] of Object.entries(dates)) await campaignForm.locator(`input[name="${name}"]`).fill(isoDay(offset));
  await campaignForm.locator('input[name="threshold"]').fill('1');
  await screenshot('campaign-form');
  await campaignForm.getByRole('button', { name: 'Kampagne speichern' }).click();
  await page.locator('.flash').waitFor({ timeout: STEP_TIMEOUT_MS });

  // 5. Ben supports the proposal and comments on it by chat.
  const ben = new Citizen(base);
  await ben.onboard();
  await ben.send({ choice: 'participation' });
  await ben.waitFor(hasChoice('prop:list:top'), 'the campaign home');
  await ben.send({ choice: 'prop:list:top' });
  const list = await ben.waitFor((m) => (m.choices || []).some((c) => /^prop:\d+$/.test(c.id)), 'the list of proposals');
  check(list.text.includes(TITLE), `the chat list does not show the proposal: ${list.text}`);
  const pick = list.choices.find((c) => /^prop:\d+$/.test(c.id));
  await ben.send({ choice: pick.id });
  await ben.waitFor(hasChoice('prop:support'), 'the proposal with "support"');
  await ben.send({ choice: 'prop:support' });
  await ben.waitFor((m) => m.text.includes('Danke für Ihre Unterstützung') && m.text.includes('Unterstützungen: 1'), 'the support receipt');
  await ben.send({ choice: 'prop:comment' });
  await ben.waitFor(hasChoice('back'), 'the comment question');
  await ben.send({ text: COMMENT });
  await ben.waitFor((m) => m.text.includes('nach Prüfung durch die Moderation'), 'the comment receipt');
  log('ben supported and commented');

  // 6. The comment is moderated, then public.
  await page.reload();
  const commentCard = page.locator('section.card', { hasText: COMMENT });
  await commentCard.waitFor({ timeout: STEP_TIMEOUT_MS });
  await commentCard.locator('form.publish button').click();
  await page.locator('.flash').waitFor({ timeout: STEP_TIMEOUT_MS });
  await screenshot('comment-published');

  // 7. The public page shows the proposal with its counts, the detail its comment.
  const publicContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'de-DE' });
  const visitor = await publicContext.newPage();
  visitor.on('request', (req) => {
    const u = new URL(req.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname)) foreignRequests.push(req.url());
  });
  page = visitor;
  res = await visitor.goto(`${base}/beteiligung`, { waitUntil: 'load' });
  check(res.status() === 200, `GET /beteiligung answered ${res.status()}`);
  const item = visitor.locator('ol.proposals li', { hasText: TITLE });
  await item.waitFor({ timeout: STEP_TIMEOUT_MS });
  check(await item.locator('.supports').getAttribute('data-count') === '1', 'the support count is not 1');
  check(await item.locator('.comments').getAttribute('data-count') === '1', 'the comment count is not 1');
  check((await item.locator('.counts').first().textContent()).includes('1 Unterstützungen'), 'the count is not shown as text');
  check(await item.locator('.badge', { hasText: 'Schwelle erreicht' }).count() === 1, 'the threshold badge is missing');
  check((await visitor.locator('.phase').textContent()) === 'Kommentieren und unterstützen', 'the phase did not change');
  await screenshot('public-with-proposal');
  await item.locator('a.title').click();
  await visitor.getByRole('heading', { name: TITLE }).waitFor({ timeout: STEP_TIMEOUT_MS });
  check((await visitor.locator('.comment').first().textContent()).includes(COMMENT), 'the published comment is missing');
  const article = await visitor.locator('article').textContent();
  check(article.includes('<b>Bitte</b>'), 'the description is not shown as text');
  check(await visitor.locator('article b').count() === 0, 'markup in the description was rendered');
  check(!article.includes('Anna') && !/[0-9a-f]{64}/.test(await visitor.content()), 'an author identity is on the page');
  check((await publicContext.cookies()).length === 0, 'the public pages set a cookie');
  await screenshot('public-proposal');
  const feed = await (await fetch(`${base}/beteiligung/feed.atom`)).text();
  check(feed.includes(`<title>${TITLE}</title>`), 'the Atom feed lacks the proposal');
  await publicContext.close();

  check(dialogs.length === 0, `a dialog opened (script injection?): ${dialogs.join('; ')}`);
  check(foreignRequests.length === 0, `requests to other hosts: ${foreignRequests.join(', ')}`);
  check(consoleErrors.length === 0, `console errors:\n    ${consoleErrors.join('\n    ')}`);
  await context.close();
  await browser.close();
  browser = null;

  const exit = await stopServer();
  check(exit && exit.code === 0, `the server did not exit with 0 after SIGTERM (${JSON.stringify(exit)})`);
  log('server stopped with exit code 0');
}

let failed = false;
const overall = setTimeout(() => {
  console.error(`FAIL: the test took longer than ${TIME_LIMIT_MS / 1000} s`);
  if (server && !serverExit) server.kill('SIGKILL');
  console.log('0 passed, 1 failed');
  process.exit(1);
}, TIME_LIMIT_MS);

try {
  await run();
} catch (e) {
  failed = true;
  console.error(`FAIL e2e.beteiligung: ${e instanceof TestFailure ? e.message : e.stack || e}`);
  if (page) {
    await page.screenshot({ path: path.join(artifactDir, 'beteiligung-failure.png'), fullPage: true }).catch(() => {});
    console.error(`  screenshot: ${path.join(artifactDir, 'beteiligung-failure.png')}`);
  }
  const tail = serverLog.split('\n').slice(-25).join('\n    ');
  if (tail.trim()) console.error(`  server log (last lines):\n    ${tail}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server && !serverExit) await stopServer();
  clearTimeout(overall);
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(failed ? '0 passed, 1 failed' : '1 passed, 0 failed');
process.exit(failed ? 1 : 0);
