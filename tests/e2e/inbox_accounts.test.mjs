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
import {
  Citizen, STEP_TIMEOUT_MS, check, choosePassword, createHarness, reportAsCitizen, signIn,
} from './harness.mjs';

const DESCRIPTION = 'Sperrmüll am Waldrand';
const DEMO_OWN = 'demo-eigenes-passwort-1';
const DEMO_NEXT = 'demo-zweites-passwort-2';
const ANNA_FIRST = 'annas-erstes-passwort';
const ANNA_OWN = 'annas-eigenes-passwort';
const ANNA_CHOSEN = 'annas-gewaehltes-passwort';

const h = createHarness({ script: 'inbox_accounts.test.mjs', name: 'e2e.inbox_accounts',
  logPrefix: '[e2e-inbox-accounts]', tmpPrefix: 'bb-e2e-inbox-accounts-', shotPrefix: 'inbox-accounts-',
  timeLimitMs: 150_000 });
const de = h.readJson('config/texts/de.json');
const categories = h.readJson('config/categories.json');
const dumping = categories.find((c) => c.id === 'muell');

let page = null;

async function newPage(context) {
  return h.watch(await context.newPage(), {
    // The refused password change (step 4) answers 400 on purpose; Chromium logs every 4xx page.
    ignoreConsole: (msg) => /status of 400/.test(msg.text()) && /\/inbox\/konto\/passwort$/.test(msg.location().url || ''),
  });
}

const pathOf = (p) => new URL(p.url()).pathname;

async function run() {
  h.prepareArtifacts(/^inbox-accounts-(\d+-.*|failure)\.png$/);
  h.requireChromium();
  check(dumping, 'config/categories.json has no category "muell"');
  const chromium = await h.playwright();

  const base = await h.startServer();
  const { login, password } = h.server.demoLogin();

  const citizen = new Citizen(base);
  const number = await reportAsCitizen(citizen, { category: dumping, description: DESCRIPTION, texts: de });
  const ticketPath = `/inbox/tickets/${number}`;
  h.log(`ticket ${number}`);

  const browser = await h.launchBrowser(chromium);
  const options = { viewport: { width: 1366, height: 900 }, locale: 'de-DE', reducedMotion: 'reduce' };
  const adminContext = await browser.newContext(options);
  page = await newPage(adminContext);

  // 1. A ticket link without a session: the login, which keeps the target.
  await page.goto(`${base}${ticketPath}`, { waitUntil: 'load' });
  check(pathOf(page) === '/inbox/login', `the ticket link did not lead to the login (${page.url()})`);
  check(new URL(page.url()).searchParams.get('next') === ticketPath, `the login lost the target: ${page.url()}`);
  await h.screenshot(page, 'login-from-ticket-link');

  // 2. The demo password must be replaced first; afterwards the ticket opens.
  await signIn(page, login, password);
  await page.getByRole('heading', { name: 'Mein Konto' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  check((await page.getByRole('alert').textContent()).includes('eigenes Passwort'), 'no notice that the password must change');
  await h.screenshot(page, 'demo-must-change');
  await page.goto(`${base}/inbox/audit`);
  check(pathOf(page) === '/inbox/konto', `another page opened before the password changed (${page.url()})`);
  await page.goto(`${base}/inbox/konto?next=${encodeURIComponent(ticketPath)}`);
  await choosePassword(page, password, DEMO_OWN);
  await page.getByRole('heading', { name: `Meldung ${number}` }).waitFor({ timeout: STEP_TIMEOUT_MS });
  check(pathOf(page) === ticketPath, `after the password change the ticket did not open (${page.url()})`);
  await h.screenshot(page, 'ticket-after-login');

  // 3. New work in the navigation, with the department's name.
  await page.locator('details.new-work summary').click();
  const work = await page.locator('details.new-work li[data-department="ordnungsamt"]').textContent();
  check(work.startsWith('Ordnungsamt: 1 neue Meldung'), `the new work of the Ordnungsamt reads ${JSON.stringify(work)}`);
  await h.screenshot(page, 'new-work-menu');

  // 4. A member changes their own password (Mein Konto from the name at the top).
  await page.locator('a.who').click();
  await page.getByRole('heading', { name: 'Mein Konto' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await choosePassword(page, 'nicht-das-passwort', DEMO_NEXT);
  check((await page.getByRole('alert').textContent()).includes('stimmt nicht'), 'a wrong current password was not refused');
  await choosePassword(page, DEMO_OWN, DEMO_NEXT);
  await page.locator('.flash').waitFor({ timeout: STEP_TIMEOUT_MS });
  check((await page.locator('.flash').textContent()).includes('Passwort ist geändert'), 'no confirmation of the change');
  await h.screenshot(page, 'password-changed');

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
  // The admin chose that first password: anna replaces it before any other page.
  await anna.getByRole('heading', { name: 'Mein Konto' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  check((await anna.getByRole('alert').first().textContent()).includes('eigenes Passwort'),
    'the first login with the password the admin chose does not ask for an own one');
  await choosePassword(anna, ANNA_FIRST, ANNA_CHOSEN);
  await anna.getByRole('heading', { name: 'Meldungen' }).waitFor({ timeout: STEP_TIMEOUT_MS });

  await page.locator('tr', { hasText: 'anna' }).getByRole('button', { name: 'Passwort zurücksetzen' }).click();
  await page.getByRole('heading', { name: 'Passwort zurückgesetzt' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const temporary = (await page.locator('.temporary-password code').textContent()).trim();
  check(/^[A-Za-z2-9]{14}$/.test(temporary), `no temporary password shown: ${JSON.stringify(temporary)}`);
  check(!page.url().includes(temporary), 'the temporary password is in the URL');
  await h.screenshot(page, 'reset-temporary-password');

  // Her open session ended with the reset.
  await anna.goto(`${base}${ticketPath}`);
  check(pathOf(anna) === '/inbox/login', `anna's session survived the reset (${anna.url()})`);
  await signIn(anna, 'anna', ANNA_CHOSEN);
  await anna.getByRole('alert').waitFor({ timeout: STEP_TIMEOUT_MS });
  check((await anna.getByRole('alert').textContent()).includes('falsch'), 'the old password still works');
  await h.screenshot(anna, 'old-password-refused');

  // 6. The temporary password leads only to the password form, then to the ticket asked for.
  await signIn(anna, 'anna', temporary);
  await anna.getByRole('heading', { name: 'Mein Konto' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  check(new URL(anna.url()).searchParams.get('next') === ticketPath, `the target was lost: ${anna.url()}`);
  await h.screenshot(anna, 'reset-must-change');
  await choosePassword(anna, temporary, ANNA_OWN);
  await anna.getByRole('heading', { name: `Meldung ${number}` }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await h.screenshot(anna, 'reset-then-ticket');

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
  await h.screenshot(page, 'audit-log');
  check(!h.server.log.includes(temporary) && !h.server.log.includes(DEMO_OWN), 'a password appears in the server log');

  check(h.foreignRequests.length === 0, `requests to other hosts: ${h.foreignRequests.join(', ')}`);
  check(h.consoleErrors.length === 0, `console errors:\n    ${h.consoleErrors.join('\n    ')}`);
  await h.closeBrowser();
  await h.stopServer();
}

await h.main(run, { failureShots: () => [[page, 'inbox-accounts-failure.png']] });
