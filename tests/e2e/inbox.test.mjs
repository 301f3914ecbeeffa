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
import {
  Citizen, STEP_TIMEOUT_MS, check, createHarness, firstLogin, reportAsCitizen, signIn,
} from './harness.mjs';

const XSS = '<script>alert(1)</script><img src=x onerror=alert(1)>';
const REPLY = 'Danke, der Bauhof holt den Müll am Donnerstag ab.';
const STATUS_NOTE = 'Ein Team ist eingeplant.';

const h = createHarness({ script: 'inbox.test.mjs', name: 'e2e.inbox', logPrefix: '[e2e-inbox]',
  tmpPrefix: 'bb-e2e-inbox-', shotPrefix: 'inbox-step-', timeLimitMs: 150_000 });
const log = (...a) => h.log(...a);
const de = h.readJson('config/texts/de.json');
const categories = h.readJson('config/categories.json');
const dumping = categories.find((c) => c.id === 'muell');

let page = null;

async function run() {
  h.prepareArtifacts(/^inbox-(step-\d+-.*|failure)\.png$/);
  h.requireChromium();
  check(dumping, 'config/categories.json has no category "muell"');
  const chromium = await h.playwright();

  const base = await h.startServer();
  const { login, password } = h.server.demoLogin();
  check(!h.server.log.includes(password), 'the demo password appears in the structured log');

  // 1. A citizen reports illegal dumping whose description carries markup.
  const citizen = new Citizen(base);
  const number = await reportAsCitizen(citizen, { category: dumping, description: XSS, texts: de });
  log(`ticket ${number}`);

  const browser = await h.launchBrowser(chromium);
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'de-DE', reducedMotion: 'reduce' });
  page = h.watch(await context.newPage());

  // 2. Unauthenticated → login page with strict headers.
  const first = await page.goto(`${base}/inbox`, { waitUntil: 'load' });
  check(new URL(page.url()).pathname === '/inbox/login', `GET /inbox did not lead to the login page (${page.url()})`);
  const csp = first.headers()['content-security-policy'] || '';
  check(csp.includes("default-src 'none'") && csp.includes("script-src 'self'"), `no strict CSP on the login page: ${csp}`);
  check(await page.getAttribute('html', 'lang') === 'de', 'the inbox is not German');
  await h.screenshot(page, 'login-page');

  // 3. A wrong password first, then the demo admin.
  await signIn(page, login, 'falsches-passwort');
  await page.getByRole('alert').waitFor({ timeout: STEP_TIMEOUT_MS });
  check((await page.getByRole('alert').textContent()).includes('falsch'), 'no error after a wrong password');
  // The demo password was printed on the terminal: the inbox asks for an own one first.
  await firstLogin(page, login, password);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'bb_inbox');
  check(session && session.httpOnly && session.sameSite === 'Strict' && session.path === '/inbox',
    `the session cookie is not HttpOnly/SameSite=Strict/Path=/inbox: ${JSON.stringify(session)}`);
  await h.screenshot(page, 'ticket-list');

  // 4. Filter: category "illegal dumping", status open, search by the number.
  await page.getByLabel('Kategorie').selectOption(dumping.id);
  await page.getByLabel('Suche').fill(String(number));
  await page.getByRole('button', { name: 'Filtern' }).click();
  await page.waitForURL(/category=muell/, { timeout: STEP_TIMEOUT_MS });
  const link = page.getByRole('link', { name: String(number), exact: true });
  await link.waitFor({ timeout: STEP_TIMEOUT_MS });
  check(await page.locator('table.tickets tbody tr').count() === 1, 'the filter did not narrow the list to the one ticket');
  check(await page.locator('img[src="x"]').count() === 0, 'the description created an <img> element in the list');
  await h.screenshot(page, 'filtered');

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
  await h.screenshot(page, 'ticket-open');

  // 6. Reply to the citizen.
  check((await page.locator('.window').textContent()).includes('Web-Chat'), 'the reply box does not name the channel');
  await page.getByLabel('Nachricht an die meldende Person').fill(REPLY);
  await page.getByRole('button', { name: 'Antwort senden' }).click();
  await page.locator('.flash').waitFor({ timeout: STEP_TIMEOUT_MS });
  check(await page.locator('.ev-staff_reply .ev-body').last().textContent() === REPLY, 'the reply is not in the thread');
  await h.screenshot(page, 'replied');

  // 7. Change the status with the canned text, edited.
  const label = de['status.eingeplant'];
  await page.locator('details.status-option summary', { hasText: label }).click();
  const form = page.locator('details.status-option[open] form');
  const note = form.locator('textarea[name="note"]');
  check((await note.inputValue()).length > 0, 'the status form has no canned text');
  await note.fill(STATUS_NOTE);
  await h.screenshot(page, 'status-form');
  await form.getByRole('button').click();
  await page.locator('.flash').waitFor({ timeout: STEP_TIMEOUT_MS });
  check((await page.locator('.ticket-head .badge').textContent()) === label, 'the status badge did not change');
  await h.screenshot(page, 'status-changed');

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
  await h.screenshot(page, 'delivery-state');
  await page.getByRole('link', { name: 'Protokoll' }).click();
  await page.getByRole('heading', { name: 'Protokoll' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const audit = await page.locator('table.audit').textContent();
  // Actions read as German phrases (the code stays in data-action).
  for (const phrase of ['Antwort an die meldende Person gesendet', 'Status geändert', 'Angemeldet']) {
    check(audit.includes(phrase), `the audit log misses "${phrase}": ${audit.slice(0, 400)}`);
  }
  check(await page.locator('table.audit [data-action="reply"]').count() >= 1, 'no reply action in the audit log');
  check(!audit.includes(REPLY), 'the audit log contains message content');
  await h.screenshot(page, 'audit-log');
  await page.getByRole('button', { name: 'Abmelden' }).click();
  await page.waitForURL(/\/inbox\/login$/, { timeout: STEP_TIMEOUT_MS });
  const back = await page.goto(`${base}/inbox/tickets/${number}`);
  check(new URL(page.url()).pathname === '/inbox/login', `after logout the ticket is still reachable (${back.status()})`);

  check(h.dialogs.length === 0, `a dialog opened (script injection?): ${h.dialogs.join('; ')}`);
  check(h.foreignRequests.length === 0, `requests to other hosts: ${h.foreignRequests.join(', ')}`);
  check(h.consoleErrors.length === 0, `console errors:\n    ${h.consoleErrors.join('\n    ')}`);
  await context.close();
  await h.closeBrowser();

  await h.stopServer();
}

await h.main(run, { failureShots: () => [[page, 'inbox-failure.png']] });
