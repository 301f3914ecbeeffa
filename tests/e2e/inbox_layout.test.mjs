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
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  Citizen, STEP_TIMEOUT_MS, check, choosePassword, createHarness, reportAsCitizen, signIn, submitProposal,
} from './harness.mjs';

const WIDTHS = [1280, 390];

const h = createHarness({ script: 'inbox_layout.test.mjs', name: 'e2e.inbox_layout', logPrefix: '[e2e-inbox-layout]',
  tmpPrefix: 'bb-e2e-layout-', timeLimitMs: 170_000 });
const log = (...a) => h.log(...a);
const de = h.readJson('config/texts/de.json');
const dumping = h.readJson('config/categories.json').find((c) => c.id === 'muell');

// ---- the server -----------------------------------------------------------------------------

function apiKey() {
  const r = spawnSync(path.resolve(h.binary), ['apikey', 'add', '--name', 'e2e-layout', '--department', '*',
    '--config', 'config/demo.json'], { cwd: h.sourceDir, env: h.server.env(), encoding: 'utf8' });
  check(r.status === 0, `apikey add failed (${r.status}): ${r.stderr}`);
  const key = r.stdout.trim().split('\n').pop();
  check(/^\S{20,}$/.test(key), `apikey add printed no key: ${JSON.stringify(r.stdout)}`);
  return key;
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

// A message that ran out of tries, for the delivery page. The web chat never fails a delivery,
// so the test marks the newest bot message of the web chat ticket as such in the database.
function deadMessage(ticketNumber) {
  const newest = `(SELECT max(o.id) FROM outbox o JOIN tickets t ON t.id = o.ticket_id WHERE t.number = ${ticketNumber})`;
  const marked = h.sql(`UPDATE outbox SET status = 'dead', tries = 8, error = 'http=500 transport' WHERE id = ${newest};
SELECT count(*) FROM outbox WHERE status = 'dead' AND id = ${newest};`);
  check(marked === '1', `could not mark a message dead: ${marked}`);
}

// ---- the browser ----------------------------------------------------------------------------

let current = null;
const widths = [];  // [page, width, scrollWidth, innerWidth]

async function newPage(width) {
  const phone = width < 600;
  const context = await h.browser.newContext({
    viewport: { width, height: phone ? 844 : 900 }, locale: 'de-DE', reducedMotion: 'reduce',
    isMobile: phone, hasTouch: phone, deviceScaleFactor: phone ? 2 : 1,
  });
  const page = h.watch(await context.newPage(), { skipProtocols: ['data:'] });
  current = page;
  return { context, page };
}

const OWN_PASSWORD = 'ein-eigenes-layout-passwort';

// Logs in; the demo password printed on the terminal must be replaced at the first login, so
// the first call measures that form and chooses an own password, which later calls use.
async function login(page, base, login, password, width) {
  await page.goto(`${base}/inbox/login`);
  await signIn(page, login, password === null ? OWN_PASSWORD : password);
  if (password !== null) {
    await page.getByRole('heading', { name: 'Mein Konto' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await measure(page, 'konto-forced', width);
    await choosePassword(page, password, OWN_PASSWORD);
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
  await page.screenshot({ path: path.join(h.artifactDir, `layout-${name}-${width}.png`), fullPage: true });
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
  h.prepareArtifacts(/^layout-.*\.png$/);
  h.requireChromium();
  const chromium = await h.playwright();
  const key = apiKey();
  // A mail server is configured (nothing listens there and no digest is due before someone turns it
  // on), so Mein Konto shows the digest form and is measured with it.
  const base = await h.startServer({ env: { BUERGERBOX_SMTP_URL: 'smtp://127.0.0.1:9',
    BUERGERBOX_SMTP_FROM: 'buergerbox@stadt.example', BUERGERBOX_SMTP_REQUIRE_TLS: 'false' } });
  const { login: user, password } = h.server.demoLogin();

  const expected = new Set();
  for (const [i, t] of PLACED.entries()) {
    const n = await createTicket(base, key, t, i);
    if (t.status !== 'erledigt') expected.add(n);
  }
  for (const [i, t] of UNPLACED.entries()) await createTicket(base, key, t, 100 + i);
  const chatTicket = await reportAsCitizen(new Citizen(base),
    { category: dumping, description: 'Ein Sofa und zwei Säcke am Straßenrand, seit gestern.', texts: de });
  const proposer = new Citizen(base);
  await proposer.onboard();
  await submitProposal(proposer, { title: 'Sitzbänke entlang des Ebrachwegs zwischen Klosterbauhof und Weiher',
    description: 'Ältere Spaziergänger:innen brauchen alle 300 m eine Bank. '.repeat(4), cost: '18000' });
  expected.add(chatTicket);
  deadMessage(chatTicket);
  log(`open located tickets: ${[...expected].join(', ')}; web chat ticket ${chatTicket}`);

  await h.launchBrowser(chromium);
  let initial = password;  // null once the own password is set
  for (const width of WIDTHS) {
    const { context, page } = await newPage(width);
    await measure(page, 'login', width, `${base}/inbox/login`);
    await login(page, base, user, initial, width);
    initial = null;
    await measure(page, 'konto', width, `${base}/inbox/konto`);
    check(await page.locator('form.digest input[type=email]').count() === 1, 'Mein Konto shows no digest form');
    if (width === WIDTHS[WIDTHS.length - 1]) {
      await page.fill('form.digest input[name=email]', 'demo.admin@stadt.example');
      await page.check('form.digest input[name=enabled]');
      await Promise.all([page.waitForNavigation(), page.click('form.digest button[type=submit]')]);
      check((await page.textContent('main')).includes('Ihre Einstellung zur Übersicht ist gespeichert.'),
        'saving the digest setting shows no confirmation');
      check(await page.isChecked('form.digest input[name=enabled]'), 'the digest is not shown as on after saving');
      await measure(page, 'konto-digest', width);
    }
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
  check(h.foreignRequests.length === 0, `requests to other hosts: ${h.foreignRequests.join(', ')}`);
  check(h.consoleErrors.length === 0, `console errors:\n    ${h.consoleErrors.join('\n    ')}`);
  log('scrollWidth/innerWidth:');
  for (const [name, width, scroll, inner] of widths) console.log(`    ${name.padEnd(14)} ${String(width).padStart(4)} px: ${scroll}/${inner}`);
  await h.closeBrowser();
  await h.stopServer();
}

await h.main(run, { failureShots: () => [[current, 'layout-failure.png']] });
