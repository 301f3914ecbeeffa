// The scaffolding the browser tests in tests/e2e share: arguments, the real server (or the mock),
// headless Debian chromium through playwright-core, screenshots, the watch for console errors,
// requests to other hosts and dialogs, the demo admin's login, a citizen through the web chat
// API or in the web chat page, and the main loop with its time limit and its last line
// "1 passed, 0 failed" or "0 passed, 1 failed" (exit code 0 or 1; 2 for a usage error).
//
// A test file creates one harness at its top and hands its steps to main():
//
//   const h = createHarness({ script: 'inbox.test.mjs', name: 'e2e.inbox', logPrefix: '[e2e-inbox]',
//     tmpPrefix: 'bb-e2e-inbox-', shotPrefix: 'inbox-step-', timeLimitMs: 150_000 });
//   async function run() { ... const base = await h.startServer(); ... await h.stopServer(); }
//   await h.main(run, { failureShots: () => [[page, 'inbox-failure.png']] });
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const STEP_TIMEOUT_MS = 20_000;
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];
const LISTEN_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;
// What the tests choose in place of the demo password printed on the terminal.
export const DEMO_OWN_PASSWORD = 'ein-eigenes-demo-passwort';

export class TestFailure extends Error {}
export function check(cond, message) {
  if (!cond) throw new TestFailure(message);
}

export const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// The text before the first placeholder, line break or "[link text](URL)" (shown as a link).
export const prefixRe = (template) => new RegExp('^' + escapeRe(template.split(/\{|\n|\[/)[0].trim()));
export const hasChoice = (id) => (m) => (m.choices || []).some((c) => c.id === id);

// ---- the server -----------------------------------------------------------------------------

// The database backend of a run: BB_E2E_BACKEND=postgresql (ctest's e2e.*.postgresql tests)
// gives the server a new database on the run's PostgreSQL server (BB_TEST_POSTGRES_DIR/url,
// tests/support/postgres_fixture.sh); otherwise SQLite's file in the test's directory.
function postgresDatabase() {
  const dir = process.env.BB_TEST_POSTGRES_DIR;
  check(dir && fs.existsSync(path.join(dir, 'url')),
    'BB_E2E_BACKEND=postgresql needs BB_TEST_POSTGRES_DIR with the server\'s url (the ctest fixture)');
  const server = fs.readFileSync(path.join(dir, 'url'), 'utf8').trim();
  const name = `e2e_${process.pid}_${Date.now()}`;
  execFileSync('psql', ['-q', '-v', 'ON_ERROR_STOP=1', `${server} dbname=postgres`, '-c', `CREATE DATABASE ${name}`]);
  return { server, name, url: `${server} dbname=${name}` };
}

// `buergerbox serve` (or tests/e2e/mock_server.mjs) on port 0 with its storage in `tmp` (or on
// PostgreSQL, above). The structured log (stderr) and stdout accumulate over restarts; each start
// waits for its own "event=listening ... port=N".
export class Server {
  constructor({ binary, sourceDir, tmp, mock = false }) {
    this.binary = binary;
    this.sourceDir = sourceDir;
    this.mock = mock;
    this.dbPath = path.join(tmp, 'db.sqlite');
    this.postgres = !mock && process.env.BB_E2E_BACKEND === 'postgresql' ? postgresDatabase() : null;
    this.mediaDir = path.join(tmp, 'media');
    this.proc = null;
    this.exit = null;
    this.log = '';     // stderr: the structured log
    this.stdout = '';
    this.output = '';  // both, interleaved
  }

  // The environment of the server and of its command line tools (`extra` adds or overrides).
  env(extra = {}) {
    const storage = this.postgres
      ? { BUERGERBOX_STORAGE_BACKEND: 'postgresql', BUERGERBOX_STORAGE_POSTGRESQL_URL: this.postgres.url }
      : { BUERGERBOX_STORAGE_PATH: this.dbPath };
    return { ...process.env, BUERGERBOX_SERVER_PORT: '0', ...storage,
      BUERGERBOX_STORAGE_MEDIA_DIR: this.mediaDir, ...extra };
  }

  // Runs `query` (statements; SQL both backends read alike) on the server's database; the rows
  // of the last statement with a result, one a line, columns separated by '|'.
  sql(query) {
    const out = this.postgres
      ? execFileSync('psql', ['-q', '-At', '-F', '|', '-v', 'ON_ERROR_STOP=1', this.postgres.url, '-c', query],
        { encoding: 'utf8' })
      : execFileSync('sqlite3', ['-batch', '-separator', '|', '-cmd', '.timeout 5000', this.dbPath, query],
        { encoding: 'utf8' });
    return out.trim();
  }

  // Drops the PostgreSQL database (after the server stopped).
  dropDatabase() {
    if (!this.postgres) return;
    try {
      execFileSync('psql', ['-q', `${this.postgres.server} dbname=postgres`, '-c',
        `DROP DATABASE IF EXISTS ${this.postgres.name} WITH (FORCE)`], { stdio: 'ignore' });
    } catch (e) {
      // the run's server is removed with its fixture anyway
    }
  }

  running() {
    return this.proc !== null && this.exit === null;
  }

  // Starts the server; resolves to the port it listens on.
  start({ config = 'config/demo.json', env = {} } = {}) {
    check(!this.running(), 'the server is already running');
    const cmd = this.mock ? process.execPath : path.resolve(this.binary);
    const args = [...(this.mock ? [path.join(HERE, 'mock_server.mjs')] : []), 'serve', '--config', config];
    if (!this.mock) check(fs.existsSync(cmd), `server binary not found: ${cmd}`);
    const proc = spawn(cmd, args, { cwd: this.sourceDir, env: this.env(env), stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    this.exit = null;
    const exited = new Promise((resolve) => proc.on('exit', (code, signal) => {
      this.exit = { code, signal };
      resolve(this.exit);
    }));
    proc.stdout.on('data', (d) => {
      this.stdout += d;
      this.output += d;
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new TestFailure(
        `server did not print event=listening within ${LISTEN_TIMEOUT_MS / 1000} s`)), LISTEN_TIMEOUT_MS);
      let pending = '';  // this start's stderr until it listens
      proc.stderr.on('data', (d) => {
        this.log += d;
        this.output += d;
        if (pending === null) return;
        pending += d;
        const m = /event=listening host=\S+ port=(\d+)/.exec(pending);
        if (m) {
          clearTimeout(timer);
          // The run is on the backend it names (a PostgreSQL run must not pass on SQLite).
          const backend = /event=storage_opened backend=(\S+)/.exec(pending);
          const wanted = this.postgres ? 'postgresql' : 'sqlite';
          pending = null;
          if (!this.mock && (!backend || backend[1] !== wanted)) {
            reject(new TestFailure(`the server opened ${backend ? backend[1] : 'no'} storage, not ${wanted}`));
            return;
          }
          resolve(Number(m[1]));
        }
      });
      proc.on('error', (e) => {
        clearTimeout(timer);
        reject(new TestFailure(`cannot start server: ${e.message}`));
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new TestFailure(`server exited before listening (code ${code}, signal ${signal})`));
      });
    });
  }

  // SIGTERM, then SIGKILL after 15 s; resolves to { code, signal } (null if never started).
  async stop() {
    const proc = this.proc;
    if (!proc || this.exit) return this.exit;
    const exited = new Promise((resolve) => {
      if (this.exit) resolve(this.exit);
      else proc.once('exit', (code, signal) => resolve({ code, signal }));
    });
    proc.kill('SIGTERM');
    const timeout = new Promise((resolve) => setTimeout(() => resolve(null), STOP_TIMEOUT_MS));
    const result = await Promise.race([exited, timeout]);
    if (!result) {
      proc.kill('SIGKILL');
      return { code: null, signal: `SIGKILL (no exit within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM)` };
    }
    return result;
  }

  kill() {
    if (this.running()) this.proc.kill('SIGKILL');
  }

  // The demo admin's one-time login, printed on stdout when the server seeds it (the latest line).
  demoLogin() {
    const lines = [...this.stdout.matchAll(/Staff inbox \(demo\): \S+ +login: (\S+) +password: (\S+)/g)];
    check(lines.length > 0,
      `the demo admin's login line is missing from stdout: ${JSON.stringify(this.stdout.slice(0, 300))}`);
    const [, login, password] = lines[lines.length - 1];
    return { login, password };
  }
}

// ---- the harness ----------------------------------------------------------------------------

// Parses `<buergerbox-binary> <source-dir> <artifact-dir>` (with allowMock also
// `--mock [<source-dir> <artifact-dir>]`) and makes the temporary directory.
//   script      the file name for the usage line
//   name        the CTest name in the FAIL line ("e2e.inbox")
//   logPrefix   the prefix of every progress line ("[e2e-inbox]")
//   tmpPrefix   the temporary directory's prefix (under os.tmpdir())
//   shotPrefix  screenshot(): <artifact-dir>/<shotPrefix>NN-<name>.png
//   fullPage    full page screenshots (also the failure screenshots)
//   timeLimitMs the whole test's limit
//   failureTail 'log' (stderr) or 'output' (stderr and stdout): what a failure prints the last 25 lines of
export function createHarness({ script, name, logPrefix, tmpPrefix, shotPrefix = '', fullPage = true, timeLimitMs,
  allowMock = false, failureTail = 'log' }) {
  return new Harness({ script, name, logPrefix, tmpPrefix, shotPrefix, fullPage, timeLimitMs, allowMock, failureTail });
}

class Harness {
  constructor(o) {
    Object.assign(this, { name: o.name, logPrefix: o.logPrefix, shotPrefix: o.shotPrefix, fullPage: o.fullPage,
      timeLimitMs: o.timeLimitMs, failureTail: o.failureTail });
    const argv = process.argv.slice(2);
    this.mock = o.allowMock && argv.includes('--mock');
    const positional = argv.filter((a) => !(o.allowMock && a === '--mock'));
    let [binary, sourceDir, artifactDir] = this.mock ? [null, ...positional] : positional;
    if (!this.mock && !binary) {
      console.error(`usage: node ${o.script} <buergerbox-binary> <source-dir> <artifact-dir>` +
        (o.allowMock ? `\n       node ${o.script} --mock [<source-dir> <artifact-dir>]` : ''));
      process.exit(2);
    }
    this.binary = binary;
    this.sourceDir = path.resolve(sourceDir || path.join(HERE, '..', '..'));
    this.artifactDir = path.resolve(artifactDir || path.join(HERE, 'artifacts'));
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), o.tmpPrefix));
    this.server = new Server({ binary, sourceDir: this.sourceDir, tmp: this.tmp, mock: this.mock });
    this.dbPath = this.server.dbPath;
    this.sql = (query) => this.server.sql(query);
    this.browser = null;
    this.stepNo = 0;
    this.consoleErrors = [];
    this.foreignRequests = [];
    this.dialogs = [];
  }

  log(...a) {
    console.log(this.logPrefix, ...a);
  }

  readJson(rel) {
    return JSON.parse(fs.readFileSync(path.join(this.sourceDir, rel), 'utf8'));
  }

  // Makes <artifact-dir> and removes this test's screenshots of an earlier run (names matching `re`).
  prepareArtifacts(re) {
    fs.mkdirSync(this.artifactDir, { recursive: true });
    for (const f of fs.readdirSync(this.artifactDir)) if (re.test(f)) fs.rmSync(path.join(this.artifactDir, f));
  }

  // A missing browser fails the test; it never turns into a skipped one.
  requireChromium() {
    check(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install chromium; scripts/install-deps.sh does it)`);
  }

  async playwright() {
    try {
      const { chromium } = await import('playwright-core');
      return chromium;
    } catch (e) {
      throw new TestFailure(`playwright-core is not installed in ${HERE} (run scripts/install-deps.sh or npm ci there): ${e.message}`);
    }
  }

  async launchBrowser(chromium) {
    this.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    return this.browser;
  }

  async closeBrowser() {
    const b = this.browser;
    this.browser = null;
    if (b) await b.close();
  }

  // Starts the server (options as Server.start) and resolves to its base URL.
  async startServer(options) {
    const port = await this.server.start(options);
    const base = `http://127.0.0.1:${port}`;
    this.log(`server listening on ${base}${this.mock ? ' (mock)' : ''}`);
    return base;
  }

  // SIGTERM; the server must exit with 0.
  async stopServer() {
    const exit = await this.server.stop();
    check(exit && exit.code === 0, `the server did not exit with 0 after SIGTERM (${JSON.stringify(exit)})`);
    this.log('server stopped with exit code 0');
  }

  // Records requests to hosts other than this machine, console errors, uncaught errors and
  // dialogs (dismissed) of page `p` into this.foreignRequests, .consoleErrors and .dialogs.
  //   skipProtocols  URL protocols whose requests are never foreign (['blob:', 'data:'])
  //   ignoreConsole  (msg) => true for a console error the test causes on purpose
  //   requestsOnly   record the requests only
  watch(p, { skipProtocols = [], ignoreConsole = () => false, requestsOnly = false } = {}) {
    p.on('request', (req) => {
      const u = new URL(req.url());
      if (skipProtocols.includes(u.protocol)) return;
      if (!['127.0.0.1', 'localhost'].includes(u.hostname)) this.foreignRequests.push(req.url());
    });
    if (requestsOnly) return p;
    p.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      // Chromium itself asks for /favicon.ico on pages without an icon link; that is not the page's error.
      if (/\/favicon\.ico$/.test(msg.location().url || '')) return;
      if (ignoreConsole(msg)) return;
      this.consoleErrors.push(`${msg.text()} (${msg.location().url || 'page'})`);
    });
    p.on('pageerror', (e) => this.consoleErrors.push(`uncaught: ${e.message}`));
    p.on('dialog', (d) => {
      this.dialogs.push(`${d.type()}: ${d.message()}`);
      d.dismiss().catch(() => {});
    });
    return p;
  }

  // <artifact-dir>/<shotPrefix>NN-<name>.png, NN counting up over the test.
  async screenshot(target, name) {
    this.stepNo += 1;
    const file = path.join(this.artifactDir, `${this.shotPrefix}${String(this.stepNo).padStart(2, '0')}-${name}.png`);
    await target.screenshot({ path: file, fullPage: this.fullPage });
    this.log(`step ${this.stepNo}: ${name}`);
  }

  // Runs `run` within the time limit, prints the result and exits (0 passed, 1 failed).
  //   failureShots  () => [[page or null, file name]]: taken into <artifact-dir> when the test fails
  //   after         () => void: more output before the last line
  async main(run, { failureShots = () => [], after = () => {} } = {}) {
    let failed = false;
    const overall = setTimeout(() => {
      console.error(`FAIL: the test took longer than ${this.timeLimitMs / 1000} s`);
      this.server.kill();
      console.log('0 passed, 1 failed');
      process.exit(1);
    }, this.timeLimitMs);
    try {
      await run();
    } catch (e) {
      failed = true;
      console.error(`FAIL ${this.name}: ${e instanceof TestFailure ? e.message : e.stack || e}`);
      for (const [p, file] of failureShots()) {
        if (!p) continue;
        const shot = path.join(this.artifactDir, file);
        await p.screenshot({ path: shot, fullPage: this.fullPage }).catch(() => {});
        console.error(`  screenshot: ${shot}`);
      }
      if (this.consoleErrors.length) console.error(`  console errors:\n    ${this.consoleErrors.join('\n    ')}`);
      const out = this.failureTail === 'output' ? this.server.output : this.server.log;
      const tail = out.split('\n').slice(-25).join('\n    ');
      if (tail.trim()) console.error(`  server log (last lines):\n    ${tail}`);
    } finally {
      if (this.browser) await this.browser.close().catch(() => {});
      if (this.server.running()) await this.server.stop();
      this.server.dropDatabase();
      clearTimeout(overall);
      fs.rmSync(this.tmp, { recursive: true, force: true });
    }
    after();
    console.log(failed ? '0 passed, 1 failed' : '1 passed, 0 failed');
    process.exit(failed ? 1 : 0);
  }
}

// ---- staff in the inbox ---------------------------------------------------------------------

export async function signIn(p, login, password) {
  await p.getByLabel('Login').fill(login);
  await p.getByLabel('Passwort').fill(password);
  await p.getByRole('button', { name: 'Anmelden' }).click();
}

// The form on "Mein Konto" (also the forced one after a demo, reset or first password).
export async function choosePassword(p, current, fresh) {
  await p.getByLabel('Aktuelles Passwort').fill(current);
  await p.getByLabel('Neues Passwort (mind. 10 Zeichen)').fill(fresh);
  await p.getByLabel('Neues Passwort wiederholen').fill(fresh);
  await p.getByRole('button', { name: 'Passwort ändern' }).click();
}

// The demo admin's first login on the login page `p` shows: the password printed on the terminal
// must be replaced by an own one first; ends on the ticket list.
export async function firstLogin(p, login, password, own = DEMO_OWN_PASSWORD) {
  await signIn(p, login, password);
  await p.getByRole('heading', { name: 'Mein Konto' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await choosePassword(p, password, own);
  await p.getByRole('heading', { name: 'Meldungen' }).waitFor({ timeout: STEP_TIMEOUT_MS });
}

// ---- a citizen, through the web chat API ------------------------------------------------------

export class Citizen {
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

  // Polls the long-poll endpoint until a message after the last one matched satisfies `pred`.
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
    const recent = this.messages.slice(start).map((m) => JSON.stringify((m.text || '').slice(0, 120)))
      .join('\n    ') || '(none)';
    throw new TestFailure(`timed out waiting for ${what}; messages since:\n    ${recent}`);
  }

  // The first contact: the privacy notice accepted, up to the main menu (which offers `menuChoice`).
  async onboard(menuChoice = 'report', what = 'the main menu') {
    await this.open();
    await this.send({ text: 'Hallo' });
    await this.waitFor(hasChoice('accept'), 'the privacy notice');
    await this.send({ choice: 'accept' });
    await this.waitFor(hasChoice(menuChoice), what);
  }
}

// A new citizen reports `category` (from config/categories.json) at the Marienplatz without a
// photo, with `description`; `texts` is config/texts/de.json. Resolves to the ticket number.
export async function reportAsCitizen(citizen, { category, description, texts }) {
  await citizen.onboard();
  await citizen.send({ choice: 'report' });
  await citizen.waitFor(hasChoice(`cat:${category.id}`), 'the categories');
  await citizen.send({ choice: `cat:${category.id}` });
  await citizen.waitFor((m) => m.request_location, 'the location question');
  await citizen.send({ lat: 48.0777, lon: 11.9706 });
  const next = await citizen.waitFor((m) => hasChoice('dup:none')(m) || hasChoice('skip')(m), 'the photo question');
  if (hasChoice('dup:none')(next)) {
    await citizen.send({ choice: 'dup:none' });
    await citizen.waitFor(hasChoice('skip'), 'the photo question');
  }
  await citizen.send({ choice: 'skip' });
  if (category.question) {
    await citizen.waitFor(() => true, 'the extra question');
    await citizen.send({ text: 'etwa zwei Kubikmeter' });
  }
  await citizen.waitFor(hasChoice('skip'), 'the description question');
  await citizen.send({ text: description });
  await citizen.waitFor(hasChoice('confirm'), 'the summary');
  await citizen.send({ choice: 'confirm' });
  const prefix = texts['ticket.created'].split('{')[0];
  const created = await citizen.waitFor((m) => /\d+/.test(m.text || '') && (m.text || '').startsWith(prefix),
    'the ticket number');
  const number = Number(/(\d+)/.exec(created.text.slice(prefix.length))[1]);
  check(number > 0, `no ticket number in ${JSON.stringify(created.text)}`);
  return number;
}

// From the main menu: a proposal to the demo campaign (title, description, cost, the first topic,
// no place, no photo) up to its receipt. With `campaign`, the campaign home must name it.
export async function submitProposal(citizen, { title, description, cost, campaign = null }) {
  await citizen.send({ choice: 'participation' });
  const home = await citizen.waitFor(hasChoice('prop:new'), 'the campaign home with "submit"');
  if (campaign) check(home.text.includes(campaign), `the home does not name the demo campaign: ${home.text}`);
  await citizen.send({ choice: 'prop:new' });
  await citizen.waitFor(hasChoice('cancel'), 'the title question');
  await citizen.send({ text: title });
  await citizen.waitFor(hasChoice('cancel'), 'the description question');
  await citizen.send({ text: description });
  await citizen.waitFor(hasChoice('skip'), 'the cost question');
  await citizen.send({ text: cost });
  await citizen.waitFor(hasChoice('topic:0'), 'the topic question');
  await citizen.send({ choice: 'topic:0' });
  await citizen.waitFor((m) => m.request_location, 'the location question');
  await citizen.send({ choice: 'skip' });
  await citizen.waitFor(hasChoice('skip'), 'the photo question');
  await citizen.send({ choice: 'skip' });
  await citizen.waitFor(hasChoice('confirm'), 'the summary');
  await citizen.send({ choice: 'confirm' });
  await citizen.waitFor((m) => (m.text || '').includes(`„${title}“ ist eingegangen`), 'the receipt');
}

// ---- a citizen in the web chat page ---------------------------------------------------------

export class ChatPage {
  constructor(page) {
    this.page = page;
  }

  botTexts() {
    return this.page.locator('.msg.bot .text').allTextContents();
  }

  userTexts() {
    return this.page.locator('.msg.user .text').allTextContents();
  }

  // Waits for a bot message with index >= since whose text matches one of `patterns` (a RegExp
  // or a list); returns { index, text, which, match }.
  async waitForBot(since, patterns, what, timeout = STEP_TIMEOUT_MS) {
    const list = Array.isArray(patterns) ? patterns : [patterns];
    const deadline = Date.now() + timeout;
    let texts = [];
    while (Date.now() < deadline) {
      texts = await this.botTexts();
      for (let i = since; i < texts.length; i++) {
        for (let w = 0; w < list.length; w++) {
          const match = list[w].exec(texts[i]);
          if (match) return { index: i, text: texts[i], which: w, match };
        }
      }
      await this.page.waitForTimeout(100);
    }
    const recent = texts.slice(since).map((t) => JSON.stringify(t.slice(0, 160))).join('\n    ') || '(none)';
    throw new TestFailure(`timed out after ${timeout} ms waiting for ${what}; bot messages since then:\n    ${recent}`);
  }

  // An enabled choice button by its accessible name (the label from config/texts).
  choiceButton(label) {
    return this.page.locator('.choices').getByRole('button', { name: label, exact: true, disabled: false }).last();
  }

  // Clicks it; resolves to the number of bot messages before the click.
  async clickChoice(label) {
    const b = this.choiceButton(label);
    await b.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS }).catch(() => {
      throw new TestFailure(`no enabled choice button named "${label}"`);
    });
    const before = (await this.botTexts()).length;
    await b.click();
    return before;
  }

  // Types `text` into the message box and presses Enter; resolves to the number of bot messages before.
  async typeAndSend(text) {
    const before = (await this.botTexts()).length;
    const input = this.page.getByRole('textbox', { name: 'Ihre Nachricht' });
    await input.fill(text);
    await input.press('Enter');
    return before;
  }
}
