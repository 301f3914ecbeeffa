#!/usr/bin/env node
// Browser test: a two-way conversation between a citizen in the web chat and staff in the inbox.
// The citizen reports graffiti with a photo in the web chat; staff reply in the inbox; the
// citizen answers in the chat; staff see the ticket marked "neue Antwort", read the answer and
// reply again; the citizen reloads the chat and sees both sides of the whole conversation (their
// own messages and photo, answered choices disabled with the one picked); the follow page shows
// the city's replies; a malformed follow link gets the friendly page.
//
// Usage: node conversation.test.mjs <buergerbox-binary> <source-dir> <artifact-dir>
//
// Starts the real server (config/demo.json, port 0, temporary storage), drives Debian's
// /usr/bin/chromium through playwright-core, saves screenshots at 390 px and at desktop width into
// <artifact-dir> (conversation-step-NN-*.png), stops the server with SIGTERM and expects exit
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
const EBERSBERG = { latitude: 48.0777, longitude: 11.9706, accuracy: 12.5 };
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1366, height: 900 };
const DESCRIPTION = 'Graffiti an der Wand der Grundschule';
const REPLY_1 = 'Wo genau ist das Graffiti – an der Straßenseite oder am Pausenhof?';
const ANSWER_1 = 'Genau an der Straßenseite, neben dem Eingang, ca. 2 m breit.';
const REPLY_2 = 'Danke! Der Bauhof entfernt es nächste Woche.';

let [binary, sourceDir, artifactDir] = process.argv.slice(2);
if (!binary) {
  console.error('usage: node conversation.test.mjs <buergerbox-binary> <source-dir> <artifact-dir>');
  process.exit(2);
}
sourceDir = path.resolve(sourceDir || path.join(HERE, '..', '..'));
artifactDir = path.resolve(artifactDir || path.join(HERE, 'artifacts'));

const readJson = (rel) => JSON.parse(fs.readFileSync(path.join(sourceDir, rel), 'utf8'));
const de = readJson('config/texts/de.json');
const graffiti = readJson('config/categories.json').find((c) => c.id === 'graffiti');
const fixturePhoto = path.join(sourceDir, 'tests/fixtures/media/gps_DSCN0010.jpg');
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// The text before the first placeholder, line break or "[link text](URL)".
const prefixRe = (template) => new RegExp('^' + escapeRe(template.split(/\{|\n|\[/)[0].trim()));

class TestFailure extends Error {}
function check(cond, message) {
  if (!cond) throw new TestFailure(message);
}
const log = (...a) => console.log('[e2e-conversation]', ...a);

// ---- the server -----------------------------------------------------------------------------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bb-e2e-conversation-'));
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

// ---- pages ----------------------------------------------------------------------------------

let browser = null;
let chat = null;   // the citizen's web chat (a phone)
let inbox = null;  // the staff member's inbox (a desktop)
let stepNo = 0;
const consoleErrors = [];
const foreignRequests = [];
const dialogs = [];

function watch(p) {
  p.on('request', (req) => {
    const u = new URL(req.url());
    if (u.protocol === 'blob:' || u.protocol === 'data:') return;
    if (!['127.0.0.1', 'localhost'].includes(u.hostname)) foreignRequests.push(req.url());
  });
  p.on('console', (msg) => {
    if (msg.type() === 'error' && /\/favicon\.ico$/.test(msg.location().url || '')) return;
    // The malformed follow link is answered 404 on purpose (with the friendly page).
    if (msg.type() === 'error' && /\/chat\/follow\//.test(msg.location().url || '')) return;
    if (msg.type() === 'error') consoleErrors.push(`${msg.text()} (${msg.location().url || 'page'})`);
  });
  p.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  p.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
}

async function screenshot(name, target) {
  stepNo += 1;
  const file = path.join(artifactDir, `conversation-step-${String(stepNo).padStart(2, '0')}-${name}.png`);
  await target.screenshot({ path: file, fullPage: true });
  log(`step ${stepNo}: ${name}`);
}

// The page at phone width and at desktop width.
async function screenshotBoth(name, target) {
  await target.setViewportSize(PHONE);
  await screenshot(`${name}-390`, target);
  await target.setViewportSize(DESKTOP);
  await screenshot(`${name}-desktop`, target);
  await target.setViewportSize(PHONE);
}

const botTexts = () => chat.locator('.msg.bot .text').allTextContents();
const userTexts = () => chat.locator('.msg.user .text').allTextContents();

async function waitForBot(since, re, what) {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let texts = [];
  while (Date.now() < deadline) {
    texts = await botTexts();
    for (let i = since; i < texts.length; i++) if (re.test(texts[i])) return { index: i, text: texts[i] };
    await chat.waitForTimeout(100);
  }
  const recent = texts.slice(since).map((t) => JSON.stringify(t.slice(0, 160))).join('\n    ') || '(none)';
  throw new TestFailure(`timed out waiting for ${what}; bot messages since:\n    ${recent}`);
}

async function clickChoice(label) {
  const b = chat.locator('.choices').getByRole('button', { name: label, exact: true, disabled: false }).last();
  await b.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS }).catch(() => {
    throw new TestFailure(`no enabled choice button named "${label}"`);
  });
  const before = (await botTexts()).length;
  await b.click();
  return before;
}

async function typeAndSend(text) {
  const before = (await botTexts()).length;
  const input = chat.getByRole('textbox', { name: 'Ihre Nachricht' });
  await input.fill(text);
  await input.press('Enter');
  return before;
}

// ---- the steps ------------------------------------------------------------------------------

async function reportInChat(base) {
  await chat.goto(`${base}/chat`, { waitUntil: 'load' });
  let since = await typeAndSend('Hallo');
  await waitForBot(since, prefixRe(de['privacy.notice@webchat']), 'the privacy notice');
  since = await clickChoice(de['choice.accept']);
  await waitForBot(since, prefixRe(de['privacy.accepted']), 'the menu');
  since = await clickChoice(de['choice.report']);
  await waitForBot(since, prefixRe(de['category.prompt']), 'the category question');
  since = await clickChoice(graffiti.label.de);
  await waitForBot(since, prefixRe(de['location.prompt@webchat']), 'the location question');
  since = (await botTexts()).length;
  await chat.getByRole('button', { name: 'Standort senden' }).click();
  await waitForBot(since, prefixRe(de['photo.prompt']), 'the photo question');
  since = (await botTexts()).length;
  await chat.setInputFiles('#photo-input', fixturePhoto);
  await waitForBot(since, prefixRe(de['photo.added']), 'the photo confirmation');
  since = await clickChoice(de['choice.done']);
  await waitForBot(since, prefixRe(de['description.prompt']), 'the description question');
  since = await typeAndSend(DESCRIPTION);
  await waitForBot(since, prefixRe(de['summary.text']), 'the summary');
  since = await clickChoice(de['choice.confirm']);
  const created = await waitForBot(since, prefixRe(de['ticket.created']), 'the ticket number');
  const number = Number(/(\d{3,})/.exec(created.text)[1]);
  check(number > 0, `no ticket number in ${JSON.stringify(created.text)}`);
  const followUrl = await chat.getByRole('link', { name: 'Meldung verfolgen' }).last().getAttribute('href');
  return { number, followUrl };
}

async function staffLogin(base) {
  const demo = /Staff inbox \(demo\): \S+ +login: (\S+) +password: (\S+)/.exec(serverStdout);
  check(demo, 'the demo admin\'s login line is missing from stdout');
  await inbox.goto(`${base}/inbox`, { waitUntil: 'load' });
  await inbox.getByLabel('Login').fill(demo[1]);
  await inbox.getByLabel('Passwort').fill(demo[2]);
  await inbox.getByRole('button', { name: 'Anmelden' }).click();
  // The demo password was printed on the terminal: the inbox asks for an own one first.
  await inbox.getByRole('heading', { name: 'Mein Konto' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await inbox.getByLabel('Aktuelles Passwort').fill(demo[2]);
  await inbox.getByLabel('Neues Passwort (mind. 10 Zeichen)').fill('ein-eigenes-demo-passwort');
  await inbox.getByLabel('Neues Passwort wiederholen').fill('ein-eigenes-demo-passwort');
  await inbox.getByRole('button', { name: 'Passwort ändern' }).click();
  await inbox.getByRole('heading', { name: 'Meldungen' }).waitFor({ timeout: STEP_TIMEOUT_MS });
}

async function staffReply(text) {
  await inbox.getByLabel('Nachricht an die meldende Person').fill(text);
  await inbox.getByRole('button', { name: 'Antwort senden' }).click();
  await inbox.locator('.flash').waitFor({ timeout: STEP_TIMEOUT_MS });
  check(await inbox.locator('.ev-staff_reply .ev-body').last().textContent() === text, 'the reply is not in the thread');
}

// After the reload: both sides, in order, the photo shown, the answered choices disabled.
async function checkRestored(number) {
  await chat.locator('.msg.bot').first().waitFor({ timeout: STEP_TIMEOUT_MS });
  const bots = await botTexts();
  const users = await userTexts();
  for (const text of ['Hallo', de['choice.accept'], de['choice.report'], graffiti.label.de, DESCRIPTION,
    de['choice.confirm'], ANSWER_1]) {
    check(users.includes(text), `after the reload the citizen's "${text}" is missing; shown: ${JSON.stringify(users)}`);
  }
  check(users.some((t) => t.startsWith('📍')), 'after the reload the sent location is missing');
  for (const text of [REPLY_1, REPLY_2]) {
    check(bots.some((t) => t.includes(text)), `after the reload the staff reply "${text}" is missing`);
  }
  check(bots.some((t) => t.startsWith(de['reply.received'].split('{')[0])), 'the reply confirmation is missing');
  // Order: the answer comes after the first reply and before the second.
  const all = await chat.locator('.msg').allTextContents();
  const at = (s) => all.findIndex((t) => t.includes(s));
  check(at(REPLY_1) < at(ANSWER_1) && at(ANSWER_1) < at(REPLY_2),
    `the conversation is out of order: ${at(REPLY_1)}, ${at(ANSWER_1)}, ${at(REPLY_2)}`);
  check(at('Hallo') < at(de['choice.accept']), 'the first message is not before the privacy answer');
  const photo = chat.locator('.msg.user.photo img.thumb');
  check(await photo.count() === 1, `expected the one photo after the reload, saw ${await photo.count()}`);
  check((await photo.getAttribute('src')).startsWith('/chat/api/photo/'), 'the photo is not served by the chat');
  await chat.waitForFunction(() => {
    const img = document.querySelector('.msg.user.photo img.thumb');
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: STEP_TIMEOUT_MS });
  // Answered choices: disabled, the one picked marked.
  const accept = chat.locator('.choices button.chosen', { hasText: de['choice.accept'] });
  check(await accept.count() === 1, 'the picked "accept" is not marked after the reload');
  check(await accept.isDisabled(), 'the answered privacy choice is enabled again after the reload');
  const chosen = await chat.locator('.choices button.chosen').allTextContents();
  for (const label of [de['choice.report'], graffiti.label.de, de['choice.done'], de['choice.confirm']]) {
    check(chosen.includes(label), `the picked "${label}" is not marked after the reload: ${JSON.stringify(chosen)}`);
  }
  const open = await chat.locator('.choices:not([data-used="1"])').count();
  check(open <= 1, `${open} choice groups are enabled after the reload (at most the newest may be)`);
  log(`ticket ${number}: ${users.length} citizen and ${bots.length} bot messages restored`);
}

async function run() {
  fs.mkdirSync(artifactDir, { recursive: true });
  for (const f of fs.readdirSync(artifactDir)) if (/^conversation-(step-\d+-.*|failure)\.png$/.test(f)) fs.rmSync(path.join(artifactDir, f));
  check(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install chromium; scripts/install-deps.sh does it)`);
  check(graffiti, 'config/categories.json has no category "graffiti"');
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new TestFailure(`playwright-core is not installed in ${HERE} (npm ci there): ${e.message}`);
  }
  const port = await startServer();
  const base = `http://127.0.0.1:${port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const phone = await browser.newContext({ viewport: PHONE, locale: 'de-DE', reducedMotion: 'reduce',
    geolocation: EBERSBERG, permissions: ['geolocation'] });
  await phone.grantPermissions(['geolocation'], { origin: base });
  chat = await phone.newPage();
  watch(chat);
  const desk = await browser.newContext({ viewport: DESKTOP, locale: 'de-DE', reducedMotion: 'reduce' });
  inbox = await desk.newPage();
  watch(inbox);

  // 1. The citizen reports in the web chat.
  const { number, followUrl } = await reportInChat(base);
  check(followUrl && followUrl.startsWith(`${base}/chat/follow/`), `no follow link: ${followUrl}`);
  log(`ticket ${number}`);
  await screenshot('reported', chat);

  // 2. Staff reply in the inbox.
  await staffLogin(base);
  await inbox.goto(`${base}/inbox/tickets/${number}`, { waitUntil: 'load' });
  await staffReply(REPLY_1);
  await screenshot('staff-replied', inbox);

  // 3. The citizen sees it and answers; one confirmation.
  let since = (await botTexts()).length;
  await waitForBot(0, new RegExp(escapeRe(REPLY_1)), 'the staff reply in the chat');
  since = await typeAndSend(ANSWER_1);
  await waitForBot(since, prefixRe(de['reply.received']), 'the confirmation of the answer');
  await screenshot('citizen-answered', chat);

  // 4. Staff see the ticket marked "neue Antwort", open it, read the answer and reply again.
  await inbox.goto(`${base}/inbox`, { waitUntil: 'load' });
  const row = inbox.locator('table.tickets tbody tr', { has: inbox.getByRole('link', { name: String(number), exact: true }) });
  check(await row.locator('.badge.new-reply').count() === 1, 'the ticket is not marked "neue Antwort" in the list');
  check((await inbox.locator('.new-reply-filter .count').first().textContent()).trim() === '1',
    'the "neue Antwort" filter does not count the ticket');
  await screenshot('inbox-marked', inbox);
  await inbox.getByRole('link', { name: String(number), exact: true }).click();
  await inbox.getByRole('heading', { name: `Meldung ${number}` }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const thread = await inbox.locator('.ev-citizen_message .ev-body').allTextContents();
  check(thread.some((t) => t.includes(ANSWER_1)), `the citizen's answer is not in the thread: ${JSON.stringify(thread)}`);
  await staffReply(REPLY_2);
  await screenshot('staff-replied-again', inbox);
  await waitForBot(0, new RegExp(escapeRe(REPLY_2)), 'the second staff reply in the chat');

  // 5. The citizen reloads the chat: the whole conversation, both sides.
  await chat.reload({ waitUntil: 'load' });
  await checkRestored(number);
  await screenshotBoth('chat-reloaded', chat);
  // The beginning of the conversation: the citizen's first words, the picked choices, the photo.
  await chat.locator('#messages').evaluate((el) => { el.scrollTop = 0; });
  await screenshot('chat-reloaded-top-390', chat);
  await chat.locator('.msg.user.photo').scrollIntoViewIfNeeded();
  await screenshot('chat-reloaded-photo-390', chat);

  // 6. The follow page shows the city's replies.
  const follow = await phone.newPage();
  watch(follow);
  const fr = await follow.goto(followUrl, { waitUntil: 'load' });
  check(fr && fr.status() === 200, `the follow page answered ${fr && fr.status()}`);
  const replies = await follow.locator('.city-reply').allTextContents();
  check(replies.includes(REPLY_1) && replies.includes(REPLY_2), `the follow page lacks the replies: ${JSON.stringify(replies)}`);
  await screenshotBoth('follow-page', follow);

  // 7. A malformed follow link: the friendly page, no JSON.
  const bad = await follow.goto(`${followUrl.slice(0, -3)}xyz`, { waitUntil: 'load' });
  check(bad && bad.status() === 404, `a malformed follow link answered ${bad && bad.status()}`);
  check((bad.headers()['content-type'] || '').startsWith('text/html'), 'the malformed follow link is not answered with a page');
  await follow.getByRole('heading', { name: 'Meldung nicht gefunden' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  check(!(await follow.content()).includes('{"error"'), 'the malformed follow link shows raw JSON');
  await screenshotBoth('follow-malformed', follow);

  check(dialogs.length === 0, `a dialog opened: ${dialogs.join('; ')}`);
  check(foreignRequests.length === 0, `requests to other hosts: ${foreignRequests.join(', ')}`);
  check(consoleErrors.length === 0, `console errors:\n    ${consoleErrors.join('\n    ')}`);
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
  console.error(`FAIL e2e.conversation: ${e instanceof TestFailure ? e.message : e.stack || e}`);
  for (const [name, p] of [['chat', chat], ['inbox', inbox]]) {
    if (p) await p.screenshot({ path: path.join(artifactDir, `conversation-failure-${name}.png`), fullPage: true }).catch(() => {});
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
