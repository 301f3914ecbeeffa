#!/usr/bin/env node
// Browser test of the staff inbox's map and its phone layout. The real server with the demo
// config (Ebersberg boundary, districts and gazetteer); tickets come from the Open311 API (with
// and without a point, several statuses) and one web chat report; a proposal for the moderation
// page; one message that ran out of tries for the delivery page.
//
//   - Each page (login, list, ticket, accounts, audit, deliveries, participation moderation,
//     broadcast composer) at 1280 px and at 390 px (a phone, with touch and the mobile viewport):
//     document.documentElement.scrollWidth <= innerWidth, every <details> opened first; a full
//     page screenshot of each into <artifact-dir> (layout-<page>-<width>.png).
//   - The list's map: one mark per located ticket of the filter (a cluster counts its tickets),
//     none for tickets without a point or outside the filter; a click on a pin opens that ticket,
//     a click on a cluster narrows the list to its tickets. No request to another host, no link
//     to one from the list or the ticket page.
//
// Usage: node inbox_layout.test.mjs <buergerbox-binary> <source-dir> <artifact-dir>
// Last line: "1 passed, 0 failed" or "0 passed, 1 failed".
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TIME_LIMIT_MS = 170_000;
const STEP_TIMEOUT_MS = 20_000;
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];
const WIDTHS = [1280, 390];

let [binary, sourceDir, artifactDir] = process.argv.slice(2);
if (!binary) {
  console.error('usage: node inbox_layout.test.mjs <buergerbox-binary> <source-dir> <artifact-dir>');
  process.exit(2);
}
sourceDir = path.resolve(sourceDir || path.join(HERE, '..', '..'));
artifactDir = path.resolve(artifactDir || path.join(HERE, 'artifacts'));

class TestFailure extends Error {}
function check(cond, message) {
  if (!cond) throw new TestFailure(message);
}
const log = (...a) => console.log('[e2e-inbox-layout]', ...a);
const readJson = (rel) => JSON.parse(fs.readFileSync(path.join(sourceDir, rel), 'utf8'));
const de = readJson('config/texts/de.json');
const dumping = readJson('config/categories.json').find((c) => c.id === 'muell');

// ---- the server -----------------------------------------------------------------------------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bb-e2e-layout-'));
const dbPath = path.join(tmp, 'db.sqlite');
const serverEnv = { ...process.env, BUERGERBOX_SERVER_PORT: '0', BUERGERBOX_STORAGE_PATH: dbPath,
  BUERGERBOX_STORAGE_MEDIA_DIR: path.join(tmp, 'media') };
let server = null;
let serverLog = '';
let serverStdout = '';
let serverExit = null;

function apiKey() {
  const r = spawnSync(path.resolve(binary), ['apikey', 'add', '--name', 'e2e-layout', '--department', '*',
    '--config', 'config/demo.json'], { cwd: sourceDir, env: serverEnv, encoding: 'utf8' });
  check(r.status === 0, `apikey add failed (${r.status}): ${r.stderr}`);
  const key = r.stdout.trim().split('\n').pop();
  check(/^\S{20,}$/.test(key), `apikey add printed no key: ${JSON.stringify(r.stdout)}`);
  return key;
}

function startServer() {
  const cmd = path.resolve(binary);
  check(fs.existsSync(cmd), `server binary not found: ${cmd}`);
  server = spawn(cmd, ['serve', '--config', 'config/demo.json'], { cwd: sourceDir, env: serverEnv,
    stdio: ['ignore', 'pipe', 'pipe'] });
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

// ---- tickets through Open311 and /api/v1 -----------------------------------------------------

// Where the Open311 tickets are: three within 30 m of the Marienplatz (one cluster with the web
// chat report there), four spread over the town, two without a point (typed address only).
const PLACED = [
  { code: 'schlagloch', lat: 48.07772, lon: 11.97064 },
  { code: 'muell', lat: 48.07780, lon: 11.97050, status: 'in_bearbeitung' },
  { code: 'graffiti', lat: 48.07765, lon: 11.97075 },
  { code: 'strassenbeleuchtung', lat: 48.05200, lon: 12.00500, status: 'eingeplant' },
  { code: 'baeume', lat: 48.09000, lon: 11.95500 },
  { code: 'spielplatz', lat: 48.06500, lon: 11.98500, status: 'in_pruefung' },
  { code: 'schlagloch', lat: 48.07000, lon: 11.94000, status: 'erledigt' },  // closed: not "Offen"
];
const UNPLACED = [
  { code: 'muell', address: 'hinter der Turnhalle' },
  { code: 'sonstiges', address: 'Waldweg Richtung Kugelfang' },
];

async function createTicket(base, key, t, i) {
  const form = new URLSearchParams({ api_key: key, service_code: t.code, description: `Testmeldung ${i}` });
  if (t.lat) {
    form.set('lat', String(t.lat));
    form.set('long', String(t.lon));
  } else {
    form.set('address_string', t.address);
  }
  const r = await fetch(`${base}/open311/v2/requests.json`, { method: 'POST', body: form });
  const text = await r.text();
  check(r.status === 200 || r.status === 201, `Open311 create answered ${r.status}: ${text}`);
  const number = Number(JSON.parse(text)[0].service_request_id);
  if (t.status) {
    const s = await fetch(`${base}/api/v1/tickets/${number}/status`, {
      method: 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: t.status }),
    });
    check(s.status === 200, `status ${t.status} for ${number} answered ${s.status}: ${await s.text()}`);
  }
  return number;
}

// ---- a citizen in the web chat ---------------------------------------------------------------

const hasChoice = (id) => (m) => (m.choices || []).some((c) => c.id === id);

class Citizen {
  constructor(base) {
    this.base = base;
    this.messages = [];
    this.after = 0;
    this.consumed = 0;
  }

  async open() {
    const r = await fetch(`${this.base}/chat`);
    check(r.status === 200, `GET /chat answered ${r.status}`);
    this.cookie = r.headers.getSetCookie().find((c) => c.startsWith('bb_chat=')).split(';')[0];
    this.csrf = /<meta name="csrf-token" content="([0-9a-f]+)">/.exec(await r.text())[1];
    await this.send({ text: 'Hallo' });
    await this.waitFor(hasChoice('accept'), 'the privacy notice');
    await this.send({ choice: 'accept' });
    await this.waitFor(hasChoice('report'), 'the main menu');
  }

  async send(body) {
    const r = await fetch(`${this.base}/chat/api/send`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': this.csrf, cookie: this.cookie },
      body: JSON.stringify(body),
    });
    check(r.status === 202, `POST /chat/api/send ${JSON.stringify(body)} answered ${r.status}`);
  }

  async waitFor(pred, what) {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      for (let i = this.consumed; i < this.messages.length; i++) {
        if (pred(this.messages[i])) {
          this.consumed = i + 1;
          return this.messages[i];
        }
      }
      check(Date.now() < deadline, `timed out waiting for ${what}`);
      const r = await fetch(`${this.base}/chat/api/messages?after=${this.after}`, { headers: { cookie: this.cookie } });
      const j = await r.json();
      this.messages.push(...j.messages);
      this.after = j.last;
    }
  }

  // A report of illegal dumping at the Marienplatz; returns the ticket number.
  async report() {
    await this.send({ choice: 'report' });
    await this.waitFor(hasChoice('cat:muell'), 'the categories');
    await this.send({ choice: 'cat:muell' });
    await this.waitFor((m) => m.request_location, 'the location question');
    await this.send({ lat: 48.0777, lon: 11.9706 });
    let next = await this.waitFor((m) => hasChoice('dup:none')(m) || hasChoice('skip')(m), 'the photo question');
    if (hasChoice('dup:none')(next)) {
      await this.send({ choice: 'dup:none' });
      next = await this.waitFor(hasChoice('skip'), 'the photo question');
    }
    await this.send({ choice: 'skip' });
    if (dumping.question) {
      await this.waitFor(() => true, 'the extra question');
      await this.send({ text: 'etwa zwei Kubikmeter' });
    }
    await this.waitFor(hasChoice('skip'), 'the description question');
    await this.send({ text: 'Ein Sofa und zwei Säcke am Straßenrand, seit gestern.' });
    await this.waitFor(hasChoice('confirm'), 'the summary');
    await this.send({ choice: 'confirm' });
    const prefix = de['ticket.created'].split('{')[0];
    const created = await this.waitFor((m) => (m.text || '').startsWith(prefix) && /\d+/.test(m.text), 'the ticket number');
    return Number(/(\d+)/.exec(created.text.slice(prefix.length))[1]);
  }

  async proposal() {
    await this.send({ choice: 'participation' });
    await this.waitFor(hasChoice('prop:new'), 'the campaign home');
    await this.send({ choice: 'prop:new' });
    await this.waitFor(hasChoice('cancel'), 'the title question');
    await this.send({ text: 'Sitzbänke entlang des Ebrachwegs zwischen Klosterbauhof und Weiher' });
    await this.waitFor(hasChoice('cancel'), 'the description question');
    await this.send({ text: 'Ältere Spaziergänger:innen brauchen alle 300 m eine Bank. '.repeat(4) });
    await this.waitFor(hasChoice('skip'), 'the cost question');
    await this.send({ text: '18000' });
    await this.waitFor(hasChoice('topic:0'), 'the topic question');
    await this.send({ choice: 'topic:0' });
    await this.waitFor((m) => m.request_location, 'the location question');
    await this.send({ choice: 'skip' });
    await this.waitFor(hasChoice('skip'), 'the photo question');
    await this.send({ choice: 'skip' });
    await this.waitFor(hasChoice('confirm'), 'the summary');
    await this.send({ choice: 'confirm' });
    await this.waitFor((m) => (m.text || '').includes('ist eingegangen'), 'the proposal receipt');
  }
}

// A message that ran out of tries, for the delivery page. The web chat never fails a delivery,
// so the test marks the newest bot message of the web chat ticket as such in the database.
function deadMessage(ticketNumber) {
  const sql = `.timeout 5000
UPDATE outbox SET status = 'dead', tries = 8, error = 'http=500 transport' WHERE id =
  (SELECT max(o.id) FROM outbox o JOIN tickets t ON t.id = o.ticket_id WHERE t.number = ${ticketNumber});
SELECT changes();`;
  const r = spawnSync('sqlite3', [dbPath], { input: sql, encoding: 'utf8' });
  check(r.status === 0 && r.stdout.trim() === '1', `could not mark a message dead: ${r.stderr} ${r.stdout}`);
}

// ---- the browser ----------------------------------------------------------------------------

let browser = null;
let current = null;
const foreignRequests = [];
const consoleErrors = [];
const widths = [];  // [page, width, scrollWidth, innerWidth]

function watch(page) {
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && u.protocol !== 'data:') foreignRequests.push(req.url());
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/\/favicon\.ico$/.test(msg.location().url || '')) consoleErrors.push(msg.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
}

async function newPage(width) {
  const phone = width < 600;
  const context = await browser.newContext({
    viewport: { width, height: phone ? 844 : 900 }, locale: 'de-DE', reducedMotion: 'reduce',
    isMobile: phone, hasTouch: phone, deviceScaleFactor: phone ? 2 : 1,
  });
  const page = await context.newPage();
  watch(page);
  current = page;
  return { context, page };
}

const OWN_PASSWORD = 'ein-eigenes-layout-passwort';

// Logs in; the demo password printed on the terminal must be replaced at the first login, so
// the first call measures that form and chooses an own password, which later calls use.
async function login(page, base, login, password, width) {
  await page.goto(`${base}/inbox/login`);
  await page.getByLabel('Login').fill(login);
  await page.getByLabel('Passwort').fill(password === null ? OWN_PASSWORD : password);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  if (password !== null) {
    await page.getByRole('heading', { name: 'Mein Konto' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await measure(page, 'konto-forced', width);
    await page.getByLabel('Aktuelles Passwort').fill(password);
    await page.getByLabel('Neues Passwort (mind. 10 Zeichen)').fill(OWN_PASSWORD);
    await page.getByLabel('Neues Passwort wiederholen').fill(OWN_PASSWORD);
    await page.getByRole('button', { name: 'Passwort ändern' }).click();
  }
  await page.getByRole('heading', { name: 'Meldungen' }).waitFor({ timeout: STEP_TIMEOUT_MS });
}

// The page at `url` (or the one shown) measured with every <details> open, and photographed.
async function measure(page, name, width, url) {
  if (url) {
    const r = await page.goto(url, { waitUntil: 'load' });
    check(r.status() === 200, `${url} answered ${r.status()}`);
  }
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
  const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
    bytes: document.documentElement.outerHTML.length, svg: [...document.querySelectorAll('svg.ticket-map')].map((s) => s.outerHTML.length) }));
  widths.push([name, width, m.scroll, m.inner]);
  log(`${name} at ${width} px: scrollWidth ${m.scroll}, innerWidth ${m.inner}; page ${m.bytes} characters${m.svg.length ? `, map ${m.svg[0]}` : ''}`);
  await page.screenshot({ path: path.join(artifactDir, `layout-${name}-${width}.png`), fullPage: true });
  check(m.inner === width, `${name} at ${width} px: innerWidth is ${m.inner} (the page was zoomed out to fit)`);
  check(m.scroll <= m.inner, `${name} at ${width} px scrolls sideways: scrollWidth ${m.scroll} > ${m.inner}`);
}

// The map's marks: pins (ticket numbers) and clusters (counts).
async function marks(page) {
  const pins = await page.locator('.list-map svg a.pin').evaluateAll((as) => as.map((a) => Number(a.dataset.ticket)));
  const clusters = await page.locator('.list-map svg a.cluster').evaluateAll((as) => as.map((a) => Number(a.dataset.count)));
  return { pins, clusters, total: pins.length + clusters.reduce((s, n) => s + n, 0) };
}

async function noForeignLinks(page, name) {
  const html = await page.content();
  check(!/https?:\/\//.test(html), `${name} names another site: ${(/.{0,60}https?:\/\/.{0,60}/.exec(html) || [''])[0]}`);
}

async function checkMap(page, base, expected, width) {
  await page.goto(`${base}/inbox`);
  const svg = page.locator('.list-map svg.ticket-map');
  check(await svg.count() === 1, 'the list has no map');
  check((await svg.locator('title').first().textContent()).startsWith('Karte der'), 'the map has no title');
  const m = await marks(page);
  check(m.total === expected.size, `the map marks ${m.total} tickets, expected the ${expected.size} open located ones`);
  for (const n of m.pins) check(expected.has(n), `pin for ticket ${n}, which is not an open located ticket`);
  check(m.clusters.length >= 1, 'the four tickets at the Marienplatz are not clustered');
  check((await page.locator('.map-legend').textContent()).includes('eingegangen'), 'no German legend');
  await noForeignLinks(page, `the list at ${width} px`);

  // A click on a pin opens its ticket.
  const pin = page.locator('.list-map svg a.pin').first();
  const number = Number(await pin.getAttribute('data-ticket'));
  const title = await pin.locator('title').textContent();
  check(title.startsWith(`Meldung ${number}: `), `the pin's title is ${JSON.stringify(title)}`);
  if (width < 600) await pin.tap(); else await pin.click();
  await page.getByRole('heading', { name: `Meldung ${number}` }).waitFor({ timeout: STEP_TIMEOUT_MS });
  check(new URL(page.url()).pathname === `/inbox/tickets/${number}`, `the pin opened ${page.url()}`);
  check(await page.locator(`.place-map svg a.pin[data-ticket="${number}"]`).count() === 1, 'the ticket page draws no pin');
  await noForeignLinks(page, `ticket ${number} at ${width} px`);

  // A click on the cluster narrows the list to its tickets.
  await page.goto(`${base}/inbox`);
  const cluster = page.locator('.list-map svg a.cluster').first();
  const count = Number(await cluster.getAttribute('data-count'));
  if (width < 600) await cluster.tap(); else await cluster.click();
  await page.waitForURL(/gebiet=/, { timeout: STEP_TIMEOUT_MS });
  await page.locator('.area-filter').waitFor({ timeout: STEP_TIMEOUT_MS });
  const rows = await page.locator('table.tickets tbody td.num a').count();
  check(rows === count, `the cluster of ${count} led to a list of ${rows}`);
  const zoomed = await marks(page);
  check(zoomed.total === count, `the narrowed map marks ${zoomed.total}, expected ${count}`);
  await measure(page, 'list-cluster', width);
  log(`map at ${width} px: ${m.pins.length} pins, clusters ${JSON.stringify(m.clusters)}; pin ${number} and a cluster of ${count} opened`);
}

async function run() {
  fs.mkdirSync(artifactDir, { recursive: true });
  for (const f of fs.readdirSync(artifactDir)) if (/^layout-.*\.png$/.test(f)) fs.rmSync(path.join(artifactDir, f));
  check(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install chromium; scripts/install-deps.sh does it)`);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new TestFailure(`playwright-core is not installed in ${HERE} (npm ci there): ${e.message}`);
  }
  const key = apiKey();
  const port = await startServer();
  const base = `http://127.0.0.1:${port}`;
  const demo = /Staff inbox \(demo\): \S+ +login: (\S+) +password: (\S+)/.exec(serverStdout);
  check(demo, 'the demo admin\'s login line is missing from stdout');
  const [, user, password] = demo;

  const expected = new Set();
  for (const [i, t] of PLACED.entries()) {
    const n = await createTicket(base, key, t, i);
    if (t.status !== 'erledigt') expected.add(n);
  }
  for (const [i, t] of UNPLACED.entries()) await createTicket(base, key, t, 100 + i);
  const citizen = new Citizen(base);
  await citizen.open();
  const chatTicket = await citizen.report();
  const proposer = new Citizen(base);
  await proposer.open();
  await proposer.proposal();
  expected.add(chatTicket);
  deadMessage(chatTicket);
  log(`open located tickets: ${[...expected].join(', ')}; web chat ticket ${chatTicket}`);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  let initial = password;  // null once the own password is set
  for (const width of WIDTHS) {
    const { context, page } = await newPage(width);
    await measure(page, 'login', width, `${base}/inbox/login`);
    await login(page, base, user, initial, width);
    initial = null;
    await measure(page, 'konto', width, `${base}/inbox/konto`);
    await measure(page, 'list', width, `${base}/inbox`);
    await measure(page, 'list-all', width, `${base}/inbox?status=all`);
    await measure(page, 'ticket', width, `${base}/inbox/tickets/${chatTicket}`);
    await measure(page, 'accounts', width, `${base}/inbox/admin/staff`);
    await measure(page, 'audit', width, `${base}/inbox/audit`);
    await measure(page, 'deliveries', width, `${base}/inbox/deliveries`);
    check(await page.locator('main form button').count() >= 2, 'the delivery page shows no row with its buttons');
    await measure(page, 'beteiligung', width, `${base}/inbox/beteiligung`);
    await measure(page, 'broadcast', width, `${base}/inbox/rundschreiben`);
    await checkMap(page, base, expected, width);
    await context.close();
  }
  check(foreignRequests.length === 0, `requests to other hosts: ${foreignRequests.join(', ')}`);
  check(consoleErrors.length === 0, `console errors:\n    ${consoleErrors.join('\n    ')}`);
  console.log('[e2e-inbox-layout] scrollWidth/innerWidth:');
  for (const [name, width, scroll, inner] of widths) console.log(`    ${name.padEnd(14)} ${String(width).padStart(4)} px: ${scroll}/${inner}`);
  await browser.close();
  browser = null;
  const exit = await stopServer();
  check(exit && exit.code === 0, `the server did not exit with 0 after SIGTERM (${JSON.stringify(exit)})`);
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
  console.error(`FAIL e2e.inbox_layout: ${e instanceof TestFailure ? e.message : e.stack || e}`);
  if (current) {
    await current.screenshot({ path: path.join(artifactDir, 'layout-failure.png'), fullPage: true }).catch(() => {});
    console.error(`  screenshot: ${path.join(artifactDir, 'layout-failure.png')}`);
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
