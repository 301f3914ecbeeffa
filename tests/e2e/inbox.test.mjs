#!/usr/bin/env node
// Browser test for issue 6: a citizen reports through the web chat API (with markup in the
// description); a staff member logs into the inbox as the demo admin, filters, opens the ticket,
// replies and changes the status; the citizen's web chat receives both messages.
//
// Usage: node inbox.test.mjs <buergerbox-binary> <source-dir> <artifact-dir>
//
// Starts the real server (config/demo.json, port 0, temporary storage), reads the demo admin's
// one-time password from its stdout, drives Debian's /usr/bin/chromium through playwright-core,
// saves screenshots into <artifact-dir> (inbox-step-NN-*.png), stops the server with SIGTERM and
// expects exit code 0. Last line: "1 passed, 0 failed" or "0 passed, 1 failed".
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
const XSS = '<script>alert(1)</script><img src=x onerror=alert(1)>';
const REPLY = 'Danke, der Bauhof holt den Müll am Donnerstag ab.';
const STATUS_NOTE = 'Ein Team ist eingeplant.';

let [binary, sourceDir, artifactDir] = process.argv.slice(2);
if (!binary) {
  console.error('usage: node inbox.test.mjs <buergerbox-binary> <source-dir> <artifact-dir>');
  process.exit(2);
}
sourceDir = path.resolve(sourceDir || path.join(HERE, '..', '..'));
artifactDir = path.resolve(artifactDir || path.join(HERE, 'artifacts'));

const readJson = (rel) => JSON.parse(fs.readFileSync(path.join(sourceDir, rel), 'utf8'));
const de = readJson('config/texts/de.json');
const categories = readJson('config/categories.json');
const dumping = categories.find((c) => c.id === 'muell');

class TestFailure extends Error {}
function check(cond, message) {
  if (!cond) throw new TestFailure(message);
}
const log = (...a) => console.log('[e2e-inbox]', ...a);

// ---- the server -----------------------------------------------------------------------------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bb-e2e-inbox-'));
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

// ---- the citizen, through the web chat API ----------------------------------------------------

class Citizen {
  constructor(base) {
    this.base = base;
    this.cookie = '';
    this.csrf = '';
    this.after = 0;
    this.messages = [];
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

  // Polls the long-poll endpoint until a message after the last one matched satisfies `pred`.
  async waitFor(pred, what, timeout = STEP_TIMEOUT_MS) {
    const deadline = Date.now() + timeout;
    const start = this.consumed || 0;
    for (;;) {
      for (let i = this.consumed || 0; i < this.messages.length; i++) {
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
}

const hasChoice = (id) => (m) => (m.choices || []).some((c) => c.id === id);

async function reportAsCitizen(citizen) {
  await citizen.open();
  await citizen.send({ text: 'Hallo' });
  await citizen.waitFor(hasChoice('accept'), 'the privacy notice');
  await citizen.send({ choice: 'accept' });
  await citizen.waitFor(hasChoice('report'), 'the main menu');
  await citizen.send({ choice: 'report' });
  await citizen.waitFor(hasChoice(`cat:${dumping.id}`), 'the categories');
  await citizen.send({ choice: `cat:${dumping.id}` });
  await citizen.waitFor((m) => m.request_location, 'the location question');
  await citizen.send({ lat: 48.0777, lon: 11.9706 });
  let next = await citizen.waitFor((m) => hasChoice('dup:none')(m) || hasChoice('skip')(m), 'the photo question');
  if (hasChoice('dup:none')(next)) {
    await citizen.send({ choice: 'dup:none' });
    next = await citizen.waitFor(hasChoice('skip'), 'the photo question');
  }
  await citizen.send({ choice: 'skip' });
  if (dumping.question) {
    await citizen.waitFor(() => true, 'the extra question');
    await citizen.send({ text: 'etwa zwei Kubikmeter' });
  }
  await citizen.waitFor(hasChoice('skip'), 'the description question');
  await citizen.send({ text: XSS });
  await citizen.waitFor(hasChoice('confirm'), 'the summary');
  await citizen.send({ choice: 'confirm' });
  const created = await citizen.waitFor((m) => /\d+/.test(m.text) && m.text.startsWith(de['ticket.created'].split('{')[0]),
    'the ticket number');
  const number = Number(/(\d+)/.exec(created.text.slice(de['ticket.created'].split('{')[0].length))[1]);
  check(number > 0, `no ticket number in ${JSON.stringify(created.text)}`);
  return number;
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
  const file = path.join(artifactDir, `inbox-step-${String(stepNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  log(`step ${stepNo}: ${name}`);
}

async function run() {
  fs.mkdirSync(artifactDir, { recursive: true });
  for (const f of fs.readdirSync(artifactDir)) if (/^inbox-(step-\d+-.*|failure)\.png$/.test(f)) fs.rmSync(path.join(artifactDir, f));
  check(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install chromium; scripts/install-deps.sh does it)`);
  check(dumping, 'config/categories.json has no category "muell"');
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
  check(!serverLog.includes(password), 'the demo password appears in the structured log');

  // 1. A citizen reports illegal dumping whose description carries markup.
  const citizen = new Citizen(base);
  const number = await reportAsCitizen(citizen);
  log(`ticket ${number}`);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'de-DE', reducedMotion: 'reduce' });
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

  // 2. Unauthenticated → login page with strict headers.
  const first = await page.goto(`${base}/inbox`, { waitUntil: 'load' });
  check(new URL(page.url()).pathname === '/inbox/login', `GET /inbox did not lead to the login page (${page.url()})`);
  const csp = first.headers()['content-security-policy'] || '';
  check(csp.includes("default-src 'none'") && csp.includes("script-src 'self'"), `no strict CSP on the login page: ${csp}`);
  check(await page.getAttribute('html', 'lang') === 'de', 'the inbox is not German');
  await screenshot('login-page');

  // 3. A wrong password first, then the demo admin.
  await page.getByLabel('Login').fill(login);
  await page.getByLabel('Passwort').fill('falsches-passwort');
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.getByRole('alert').waitFor({ timeout: STEP_TIMEOUT_MS });
  check((await page.getByRole('alert').textContent()).includes('falsch'), 'no error after a wrong password');
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
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'bb_inbox');
  check(session && session.httpOnly && session.sameSite === 'Strict' && session.path === '/inbox',
    `the session cookie is not HttpOnly/SameSite=Strict/Path=/inbox: ${JSON.stringify(session)}`);
  await screenshot('ticket-list');

  // 4. Filter: category "illegal dumping", status open, search by the number.
  await page.getByLabel('Kategorie').selectOption(dumping.id);
  await page.getByLabel('Suche').fill(String(number));
  await page.getByRole('button', { name: 'Filtern' }).click();
  await page.waitForURL(/category=muell/, { timeout: STEP_TIMEOUT_MS });
  const link = page.getByRole('link', { name: String(number), exact: true });
  await link.waitFor({ timeout: STEP_TIMEOUT_MS });
  check(await page.locator('table.tickets tbody tr').count() === 1, 'the filter did not narrow the list to the one ticket');
  check(await page.locator('img[src="x"]').count() === 0, 'the description created an <img> element in the list');
  await screenshot('filtered');

  // 5. Open the ticket: the markup is text, the location is drawn on the page's own map.
  await link.click();
  await page.getByRole('heading', { name: `Meldung ${number}` }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const description = await page.locator('.details > .citizen-text').first().textContent();
  check(description === XSS, `the description is not shown as text: ${JSON.stringify(description)}`);
  check(await page.locator('img[src="x"]').count() === 0, 'the description created an <img src=x> element');
  check(await page.locator('main script').count() === 0, 'the description created a <script> element');
  // The place is drawn here (inline SVG, no tiles) with its coordinates; no link to another site.
  check((await page.locator('.location .coords').textContent()).startsWith('48.07'), 'no coordinates shown');
  check(await page.locator(`.place-map svg a.pin[data-ticket="${number}"]`).count() === 1, 'the ticket page draws no pin');
  check(await page.locator('main a[href^="http"]').count() === 0, 'the ticket page links to another site');
  check(await page.locator('iframe').count() === 0, 'the ticket page embeds a map');
  await screenshot('ticket-open');

  // 6. Reply to the citizen.
  check((await page.locator('.window').textContent()).includes('Web-Chat'), 'the reply box does not name the channel');
  await page.getByLabel('Nachricht an die meldende Person').fill(REPLY);
  await page.getByRole('button', { name: 'Antwort senden' }).click();
  await page.locator('.flash').waitFor({ timeout: STEP_TIMEOUT_MS });
  check(await page.locator('.ev-staff_reply .ev-body').last().textContent() === REPLY, 'the reply is not in the thread');
  await screenshot('replied');

  // 7. Change the status with the canned text, edited.
  const label = de['status.eingeplant'];
  await page.locator('details.status-option summary', { hasText: label }).click();
  const form = page.locator('details.status-option[open] form');
  const note = form.locator('textarea[name="note"]');
  check((await note.inputValue()).length > 0, 'the status form has no canned text');
  await note.fill(STATUS_NOTE);
  await screenshot('status-form');
  await form.getByRole('button').click();
  await page.locator('.flash').waitFor({ timeout: STEP_TIMEOUT_MS });
  check((await page.locator('.ticket-head .badge').textContent()) === label, 'the status badge did not change');
  await screenshot('status-changed');

  // 8. The citizen's web chat receives the reply and the status message.
  const reply = await citizen.waitFor((m) => m.text.includes(REPLY), 'the staff reply in the web chat');
  check(reply.text.includes(String(number)), 'the reply does not name the ticket number');
  const expectedStatus = de['ticket.status_changed'].replace('{number}', String(number))
    .replace('{status}', label).replace('{note}', STATUS_NOTE);
  await citizen.waitFor((m) => m.text === expectedStatus, `the status message ${JSON.stringify(expectedStatus)}`);
  log('the citizen received the reply and the status message');

  // 9. Delivery state in the thread, the audit log, logout.
  await page.reload();
  await page.locator('.ev-staff_reply .delivery').last().waitFor({ timeout: STEP_TIMEOUT_MS });
  const delivery = await page.locator('.ev-staff_reply .delivery').last().textContent();
  check(/zugestellt|gesendet|Warteschlange/.test(delivery), `no delivery state: ${delivery}`);
  await screenshot('delivery-state');
  await page.getByRole('link', { name: 'Protokoll' }).click();
  await page.getByRole('heading', { name: 'Protokoll' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const audit = await page.locator('table.audit').textContent();
  // Actions read as German phrases (the code stays in data-action).
  for (const phrase of ['Antwort an die meldende Person gesendet', 'Status geändert', 'Angemeldet']) {
    check(audit.includes(phrase), `the audit log misses "${phrase}": ${audit.slice(0, 400)}`);
  }
  check(await page.locator('table.audit [data-action="reply"]').count() >= 1, 'no reply action in the audit log');
  check(!audit.includes(REPLY), 'the audit log contains message content');
  await screenshot('audit-log');
  await page.getByRole('button', { name: 'Abmelden' }).click();
  await page.waitForURL(/\/inbox\/login$/, { timeout: STEP_TIMEOUT_MS });
  const back = await page.goto(`${base}/inbox/tickets/${number}`);
  check(new URL(page.url()).pathname === '/inbox/login', `after logout the ticket is still reachable (${back.status()})`);

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
  console.error(`FAIL e2e.inbox: ${e instanceof TestFailure ? e.message : e.stack || e}`);
  if (page) {
    await page.screenshot({ path: path.join(artifactDir, 'inbox-failure.png'), fullPage: true }).catch(() => {});
    console.error(`  screenshot: ${path.join(artifactDir, 'inbox-failure.png')}`);
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
