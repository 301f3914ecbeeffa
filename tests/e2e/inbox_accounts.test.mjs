#!/usr/bin/env node
// Browser test of the inbox accounts: a login opened from a ticket link returns to that ticket,
// the demo password must be replaced at the first login, a member changes their own password, an
// admin resets another member's password (a temporary one, shown once) and that member must choose
// a new one before any other page, "Überall abmelden" signs out another browser, and the
// navigation shows the new work per department with the department's configured name.
//
// Usage: node inbox_accounts.test.mjs <buergerbox-binary> <source-dir> <artifact-dir>
//
// Starts the real server (config/demo.json, port 0, temporary storage), reads the demo admin's
// one-time password from its stdout, drives Debian's /usr/bin/chromium through playwright-core,
// saves screenshots into <artifact-dir> (inbox-accounts-NN-*.png), stops the server with SIGTERM
// and expects exit code 0. Last line: "1 passed, 0 failed" or "0 passed, 1 failed".
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
const DESCRIPTION = 'Sperrmüll am Waldrand';
const DEMO_OWN = 'demo-eigenes-passwort-1';
const DEMO_NEXT = 'demo-zweites-passwort-2';
const ANNA_FIRST = 'annas-erstes-passwort';
const ANNA_OWN = 'annas-eigenes-passwort';

let [binary, sourceDir, artifactDir] = process.argv.slice(2);
if (!binary) {
  console.error('usage: node inbox_accounts.test.mjs <buergerbox-binary> <source-dir> <artifact-dir>');
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
const log = (...a) => console.log('[e2e-inbox-accounts]', ...a);

// ---- the server -----------------------------------------------------------------------------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bb-e2e-inbox-accounts-'));
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
  await citizen.send({ text: DESCRIPTION });
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

async function screenshot(p, name) {
  stepNo += 1;
  const file = path.join(artifactDir, `inbox-accounts-${String(stepNo).padStart(2, '0')}-${name}.png`);
  await p.screenshot({ path: file, fullPage: true });
  log(`step ${stepNo}: ${name}`);
}

async function newPage(context) {
  const p = await context.newPage();
  p.on('request', (req) => {
    const u = new URL(req.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname)) foreignRequests.push(req.url());
  });
  p.on('console', (msg) => {
    if (msg.type() === 'error' && /\/favicon\.ico$/.test(msg.location().url || '')) return;
    // The refused password change (step 4) answers 400 on purpose; Chromium logs every 4xx page.
    if (msg.type() === 'error' && /status of 400/.test(msg.text()) && /\/inbox\/konto\/passwort$/.test(msg.location().url || '')) return;
    if (msg.type() === 'error') consoleErrors.push(`${msg.text()} (${msg.location().url || 'page'})`);
  });
  p.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  return p;
}

async function signIn(p, login, password) {
  await p.getByLabel('Login').fill(login);
  await p.getByLabel('Passwort').fill(password);
  await p.getByRole('button', { name: 'Anmelden' }).click();
}

async function choosePassword(p, current, fresh) {
  await p.getByLabel('Aktuelles Passwort').fill(current);
  await p.getByLabel('Neues Passwort (mind. 10 Zeichen)').fill(fresh);
  await p.getByLabel('Neues Passwort wiederholen').fill(fresh);
  await p.getByRole('button', { name: 'Passwort ändern' }).click();
}

const pathOf = (p) => new URL(p.url()).pathname;

async function run() {
  fs.mkdirSync(artifactDir, { recursive: true });
  for (const f of fs.readdirSync(artifactDir)) if (/^inbox-accounts-(\d+-.*|failure)\.png$/.test(f)) fs.rmSync(path.join(artifactDir, f));
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

  const citizen = new Citizen(base);
  const number = await reportAsCitizen(citizen);
  const ticketPath = `/inbox/tickets/${number}`;
  log(`ticket ${number}`);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const options = { viewport: { width: 1366, height: 900 }, locale: 'de-DE', reducedMotion: 'reduce' };
  const adminContext = await browser.newContext(options);
  page = await newPage(adminContext);

  // 1. A ticket link without a session: the login, which keeps the target.
  await page.goto(`${base}${ticketPath}`, { waitUntil: 'load' });
  check(pathOf(page) === '/inbox/login', `the ticket link did not lead to the login (${page.url()})`);
  check(new URL(page.url()).searchParams.get('next') === ticketPath, `the login lost the target: ${page.url()}`);
  await screenshot(page, 'login-from-ticket-link');

  // 2. The demo password must be replaced first; afterwards the ticket opens.
  await signIn(page, login, password);
  await page.getByRole('heading', { name: 'Mein Konto' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  check((await page.getByRole('alert').textContent()).includes('eigenes Passwort'), 'no notice that the password must change');
  await screenshot(page, 'demo-must-change');
  await page.goto(`${base}/inbox/audit`);
  check(pathOf(page) === '/inbox/konto', `another page opened before the password changed (${page.url()})`);
  await page.goto(`${base}/inbox/konto?next=${encodeURIComponent(ticketPath)}`);
  await choosePassword(page, password, DEMO_OWN);
  await page.getByRole('heading', { name: `Meldung ${number}` }).waitFor({ timeout: STEP_TIMEOUT_MS });
  check(pathOf(page) === ticketPath, `after the password change the ticket did not open (${page.url()})`);
  await screenshot(page, 'ticket-after-login');

  // 3. New work in the navigation, with the department's name.
  await page.locator('details.new-work summary').click();
  const work = await page.locator('details.new-work li[data-department="ordnungsamt"]').textContent();
  check(work.startsWith('Ordnungsamt: 1 neue Meldung'), `the new work of the Ordnungsamt reads ${JSON.stringify(work)}`);
  await screenshot(page, 'new-work-menu');

  // 4. A member changes their own password (Mein Konto from the name at the top).
  await page.locator('a.who').click();
  await page.getByRole('heading', { name: 'Mein Konto' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await choosePassword(page, 'nicht-das-passwort', DEMO_NEXT);
  check((await page.getByRole('alert').textContent()).includes('stimmt nicht'), 'a wrong current password was not refused');
  await choosePassword(page, DEMO_OWN, DEMO_NEXT);
  await page.locator('.flash').waitFor({ timeout: STEP_TIMEOUT_MS });
  check((await page.locator('.flash').textContent()).includes('Passwort ist geändert'), 'no confirmation of the change');
  await screenshot(page, 'password-changed');

  // 5. The admin creates an account and resets its password: a temporary one, shown once.
  await page.getByRole('link', { name: 'Konten' }).click();
  await page.getByRole('heading', { name: 'Konten' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const create = page.locator('section.action', { hasText: 'Neues Konto' });
  await create.getByLabel('Login').fill('anna');
  await create.getByLabel('Ordnungsamt').check();
  await create.getByLabel('Erstes Passwort (mind. 10 Zeichen)').fill(ANNA_FIRST);
  await create.getByRole('button', { name: 'Anlegen' }).click();
  await page.locator('.flash').waitFor({ timeout: STEP_TIMEOUT_MS });

  const annaContext = await browser.newContext(options);
  const anna = await newPage(annaContext);
  await anna.goto(`${base}/inbox/login`);
  await signIn(anna, 'anna', ANNA_FIRST);
  await anna.getByRole('heading', { name: 'Meldungen' }).waitFor({ timeout: STEP_TIMEOUT_MS });

  await page.locator('tr', { hasText: 'anna' }).getByRole('button', { name: 'Passwort zurücksetzen' }).click();
  await page.getByRole('heading', { name: 'Passwort zurückgesetzt' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const temporary = (await page.locator('.temporary-password code').textContent()).trim();
  check(/^[A-Za-z2-9]{14}$/.test(temporary), `no temporary password shown: ${JSON.stringify(temporary)}`);
  check(!page.url().includes(temporary), 'the temporary password is in the URL');
  await screenshot(page, 'reset-temporary-password');

  // Her open session ended with the reset.
  await anna.goto(`${base}${ticketPath}`);
  check(pathOf(anna) === '/inbox/login', `anna's session survived the reset (${anna.url()})`);
  await signIn(anna, 'anna', ANNA_FIRST);
  await anna.getByRole('alert').waitFor({ timeout: STEP_TIMEOUT_MS });
  check((await anna.getByRole('alert').textContent()).includes('falsch'), 'the old password still works');
  await screenshot(anna, 'old-password-refused');

  // 6. The temporary password leads only to the password form, then to the ticket asked for.
  await signIn(anna, 'anna', temporary);
  await anna.getByRole('heading', { name: 'Mein Konto' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  check(new URL(anna.url()).searchParams.get('next') === ticketPath, `the target was lost: ${anna.url()}`);
  await screenshot(anna, 'reset-must-change');
  await choosePassword(anna, temporary, ANNA_OWN);
  await anna.getByRole('heading', { name: `Meldung ${number}` }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await screenshot(anna, 'reset-then-ticket');

  // 7. "Überall abmelden" in anna's second browser ends the first one too.
  const secondContext = await browser.newContext(options);
  const second = await newPage(secondContext);
  await second.goto(`${base}/inbox/login`);
  await signIn(second, 'anna', ANNA_OWN);
  await second.getByRole('heading', { name: 'Meldungen' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await second.goto(`${base}/inbox/konto`);
  await second.getByRole('button', { name: 'Überall abmelden' }).click();
  await second.waitForURL(/\/inbox\/login$/, { timeout: STEP_TIMEOUT_MS });
  await anna.reload();
  check(pathOf(anna) === '/inbox/login', `the other browser stayed signed in (${anna.url()})`);

  // 8. The audit log names it all in German.
  await page.goto(`${base}/inbox/audit`);
  const audit = await page.locator('table.audit').textContent();
  for (const phrase of ['Eigenes Passwort geändert', 'Passwort zurückgesetzt', 'Überall abgemeldet',
    'Passwortänderung abgelehnt']) {
    check(audit.includes(phrase), `the audit log misses "${phrase}"`);
  }
  check(!audit.includes(temporary), 'the audit log contains the temporary password');
  await screenshot(page, 'audit-log');
  check(!serverLog.includes(temporary) && !serverLog.includes(DEMO_OWN), 'a password appears in the server log');

  check(foreignRequests.length === 0, `requests to other hosts: ${foreignRequests.join(', ')}`);
  check(consoleErrors.length === 0, `console errors:\n    ${consoleErrors.join('\n    ')}`);
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
  console.error(`FAIL e2e.inbox_accounts: ${e instanceof TestFailure ? e.message : e.stack || e}`);
  if (page) {
    await page.screenshot({ path: path.join(artifactDir, 'inbox-accounts-failure.png'), fullPage: true }).catch(() => {});
    console.error(`  screenshot: ${path.join(artifactDir, 'inbox-accounts-failure.png')}`);
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
