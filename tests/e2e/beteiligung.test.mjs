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
import { Citizen, STEP_TIMEOUT_MS, check, createHarness, firstLogin, hasChoice, submitProposal } from './harness.mjs';

const TITLE = 'Trinkbrunnen am Marktplatz';
const DESCRIPTION = 'Im Sommer fehlt am Marktplatz Trinkwasser. <b>Bitte</b> einen Brunnen aufstellen.';
const COMMENT = 'Gute Idee, bitte auch am Bahnhof.';

const h = createHarness({ script: 'beteiligung.test.mjs', name: 'e2e.beteiligung', logPrefix: '[e2e-beteiligung]',
  tmpPrefix: 'bb-e2e-beteiligung-', shotPrefix: 'beteiligung-step-', timeLimitMs: 150_000 });
const log = (...a) => h.log(...a);

let page = null;

// A citizen at the web chat's main menu, which offers the citizens' budget.
async function onboard(citizen) {
  await citizen.onboard('participation', 'the main menu with the citizens\' budget');
  return citizen;
}

const isoDay = (offsetDays) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

async function run() {
  h.prepareArtifacts(/^beteiligung-(step-\d+-.*|failure)\.png$/);
  h.requireChromium();
  const chromium = await h.playwright();

  const base = await h.startServer();
  const { login, password } = h.server.demoLogin();

  // 1. Anna submits a proposal by chat.
  const anna = await onboard(new Citizen(base));
  await submitProposal(anna, { title: TITLE, description: DESCRIPTION, cost: '25000', campaign: 'Bürgerhaushalt 2027' });
  log('proposal submitted');

  const browser = await h.launchBrowser(chromium);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'de-DE', reducedMotion: 'reduce' });
  page = h.watch(await context.newPage());

  // 2. The public page: the campaign, and nothing before moderation.
  let res = await page.goto(`${base}/beteiligung`, { waitUntil: 'load' });
  check(res.status() === 200, `GET /beteiligung answered ${res.status()}`);
  const csp = res.headers()['content-security-policy'] || '';
  check(csp.includes("default-src 'none'") && csp.includes("script-src 'self'"), `no strict CSP on /beteiligung: ${csp}`);
  check(!res.headers()['set-cookie'], 'the public page sets a cookie');
  await page.getByRole('heading', { name: 'Bürgerhaushalt 2027' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  check(await page.locator('[data-proposal-id]').count() === 0, 'a proposal is public before moderation');
  check((await page.locator('.phase').textContent()) === 'Vorschläge sammeln', 'the phase is not "collecting"');
  await h.screenshot(page, 'public-before-moderation');

  // 3. The demo admin publishes the proposal in the inbox.
  await page.goto(`${base}/inbox/login`);
  // The demo password was printed on the terminal: the inbox asks for an own one first.
  await firstLogin(page, login, password);
  await page.getByRole('link', { name: 'Beteiligung', exact: true }).click();
  await page.getByRole('heading', { name: 'Bürgerbeteiligung' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const card = page.locator('section.card', { hasText: TITLE });
  check(await card.count() === 1, 'the new proposal is not in the moderation queue');
  check(await page.locator('main b').count() === 0, 'markup in the description was rendered as HTML');
  await h.screenshot(page, 'moderation-queue');
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
  await h.screenshot(page, 'campaign-form');
  await campaignForm.getByRole('button', { name: 'Kampagne speichern' }).click();
  await page.locator('.flash').waitFor({ timeout: STEP_TIMEOUT_MS });

  // 5. Ben supports the proposal and comments on it by chat.
  const ben = await onboard(new Citizen(base));
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
  await h.screenshot(page, 'comment-published');

  // 7. The public page shows the proposal with its counts, the detail its comment.
  const publicContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'de-DE' });
  const visitor = h.watch(await publicContext.newPage(), { requestsOnly: true });
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
  await h.screenshot(page, 'public-with-proposal');
  await item.locator('a.title').click();
  await visitor.getByRole('heading', { name: TITLE }).waitFor({ timeout: STEP_TIMEOUT_MS });
  check((await visitor.locator('.comment').first().textContent()).includes(COMMENT), 'the published comment is missing');
  const article = await visitor.locator('article').textContent();
  check(article.includes('<b>Bitte</b>'), 'the description is not shown as text');
  check(await visitor.locator('article b').count() === 0, 'markup in the description was rendered');
  check(!article.includes('Anna') && !/[0-9a-f]{64}/.test(await visitor.content()), 'an author identity is on the page');
  check((await publicContext.cookies()).length === 0, 'the public pages set a cookie');
  await h.screenshot(page, 'public-proposal');
  const feed = await (await fetch(`${base}/beteiligung/feed.atom`)).text();
  check(feed.includes(`<title>${TITLE}</title>`), 'the Atom feed lacks the proposal');
  await publicContext.close();

  check(h.dialogs.length === 0, `a dialog opened (script injection?): ${h.dialogs.join('; ')}`);
  check(h.foreignRequests.length === 0, `requests to other hosts: ${h.foreignRequests.join(', ')}`);
  check(h.consoleErrors.length === 0, `console errors:\n    ${h.consoleErrors.join('\n    ')}`);
  await context.close();
  await h.closeBrowser();

  await h.stopServer();
}

await h.main(run, { failureShots: () => [[page, 'beteiligung-failure.png']] });
