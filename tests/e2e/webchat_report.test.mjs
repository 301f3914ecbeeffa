#!/usr/bin/env node
// Browser test for issue 5: a citizen reports a pothole with a photo in the web chat.
//
// Usage: node webchat_report.test.mjs <buergerbox-binary> <source-dir> <artifact-dir>
//        node webchat_report.test.mjs --mock <source-dir> <artifact-dir>   (tests/e2e/mock_server.mjs)
//
// Starts the server itself (port 0, temporary database and media dir), drives Debian's chromium
// through playwright-core (never a downloaded browser), saves a screenshot after every step into
// <artifact-dir>, checks the ticket in the database with the sqlite3 CLI, stops the server with
// SIGTERM and expects exit code 0. Last line: "1 passed, 0 failed" or "0 passed, 1 failed".
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ChatPage, STEP_TIMEOUT_MS, TestFailure, check, createHarness, escapeRe, prefixRe } from './harness.mjs';
import { PHONE_PHOTO_MAX_BYTES, PHONE_PHOTO_MIN_BYTES, identifyingTags, makePhonePhoto } from './phone_photo.mjs';

const EBERSBERG = { latitude: 48.0777, longitude: 11.9706, accuracy: 12.5 };
const XSS = '<img src=x onerror=alert(1)>';

const h = createHarness({ script: 'webchat_report.test.mjs', name: 'e2e.webchat_report', logPrefix: '[e2e]',
  tmpPrefix: 'bb-e2e-', shotPrefix: 'step-', fullPage: false, timeLimitMs: 120_000, allowMock: true,
  failureTail: 'output' });
const { mock, artifactDir, tmp } = h;
const log = (...a) => h.log(...a);

// ---- small helpers --------------------------------------------------------------------------

const de = h.readJson('config/texts/de.json');
const en = h.readJson('config/texts/en.json');
const categories = h.readJson('config/categories.json');
const pothole = categories.find((c) => c.id === 'schlagloch');
const fixturePhoto = path.join(h.sourceDir, 'tests/fixtures/media/gps_DSCN0010.jpg');

// A text template from config/texts as a regex: {number} captures digits, other fields match anything.
function templateRe(template) {
  let seenNumber = false;
  const re = template.split(/(\{[a-z_]+\})/).map((part) => {
    const m = /^\{([a-z_]+)\}$/.exec(part);
    if (!m) return escapeRe(part);
    if (m[1] === 'number') {
      if (seenNumber) return '\\k<number>';
      seenNumber = true;
      return '(?<number>\\d+)';
    }
    return '[\\s\\S]*?';
  }).join('');
  return new RegExp(re);
}

const sql = (query) => h.sql(query);

// ---- the browser test -----------------------------------------------------------------------

let page = null;
let chat = null;  // page as a ChatPage
const contractNotes = new Set();  // deviations from the API of issue 5 that the page tolerates

// Checks the long-poll answers against the API the page is built on (messages, last, follow_url).
function checkMessagesContract(response) {
  if (!response.url().includes('/chat/api/messages') || response.status() !== 200) return;
  response.json().then((body) => {
    if (!Array.isArray(body.messages) || typeof body.last !== 'number') {
      contractNotes.add('GET /chat/api/messages: expected {"messages":[...],"last":<number>}');
      return;
    }
    for (const m of body.messages) {
      if (typeof m.id !== 'number' || typeof m.text !== 'string' || !Array.isArray(m.choices) ||
          typeof m.request_location !== 'boolean') {
        contractNotes.add(`message ${m.id}: expected id, text, choices[], request_location`);
      }
      if (m.follow_url !== undefined && !/^\/chat\/follow\/[^/]+$/.test(m.follow_url)) {
        contractNotes.add(`follow_url should be a same-origin path "/chat/follow/<secret>", got ${JSON.stringify(m.follow_url.replace(/[^/]+$/, '<secret>'))}`);
      }
    }
  }).catch(() => {});
}

const screenshot = (name, target = page) => h.screenshot(target, name);

function watch(p) {
  h.watch(p, { skipProtocols: ['blob:', 'data:'] });
  p.on('response', checkMessagesContract);
}

// Sends like the citizen (ChatPage.typeAndSend), then checks the input and the citizen's bubble.
async function typeAndSend(text) {
  const before = await chat.typeAndSend(text);
  const input = page.getByRole('textbox', { name: 'Ihre Nachricht' });
  check(await input.inputValue() === '', 'the input is not cleared after sending');
  check(await input.evaluate((el) => el === document.activeElement), 'focus left the input after sending');
  const bubble = page.locator('.msg.user .text').last();
  check(await bubble.textContent() === text, `the citizen's own bubble does not show ${JSON.stringify(text)}`);
  return before;
}

async function run() {
  h.prepareArtifacts(/^(step-\d+-.*|failure)\.png$/);
  h.requireChromium();
  check(pothole, 'config/categories.json has no category "schlagloch"');
  check(fs.existsSync(fixturePhoto), `missing fixture ${fixturePhoto}`);
  const chromium = await h.playwright();

  const base = await h.startServer();

  const browser = await h.launchBrowser(chromium);
  // The photo a phone takes: 4000×3000, about 6 MB, GPS and camera in its EXIF.
  const phonePhoto = path.join(tmp, 'IMG_4000x3000.jpg');
  const made = await makePhonePhoto(browser, fixturePhoto, phonePhoto);
  check(made.bytes >= PHONE_PHOTO_MIN_BYTES && made.bytes <= PHONE_PHOTO_MAX_BYTES,
    `the phone photo has ${made.bytes} bytes, not about 6 MB`);
  const phoneTags = identifyingTags(execFileSync, phonePhoto);
  check(phoneTags.some((t) => t.includes('GPSLatitude')), `the phone photo has no GPS: ${phoneTags.join(', ')}`);
  log(`phone photo: ${made.width}x${made.height}, ${made.bytes} bytes, ${phoneTags.length} identifying tags`);
  const context = await browser.newContext({
    viewport: { width: 375, height: 740 },
    locale: 'de-DE',
    reducedMotion: 'reduce',  // also exercises the page's reduced-motion styles; steady screenshots
    geolocation: EBERSBERG,
    permissions: ['geolocation'],
  });
  await context.grantPermissions(['geolocation'], { origin: base });
  page = await context.newPage();
  watch(page);
  chat = new ChatPage(page);

  // 1. The page, its security headers and its language.
  const response = await page.goto(`${base}/chat`, { waitUntil: 'load' });
  check(response && response.status() === 200, `GET /chat answered ${response && response.status()}`);
  const csp = response.headers()['content-security-policy'] || '';
  check(csp.includes("default-src 'none'") && csp.includes("script-src 'self'"),
    `GET /chat has no strict Content-Security-Policy (got ${JSON.stringify(csp)})`);
  check(await page.getAttribute('html', 'lang') === 'de', 'the page is not German by default');
  const token = await page.getAttribute('meta[name="csrf-token"]', 'content');
  check(token && !token.includes('{{'), 'the CSRF token placeholder was not replaced');
  for (const name of ['max-upload-bytes', 'max-message-chars']) {
    const v = await page.getAttribute(`meta[name="${name}"]`, 'content');
    check(/^\d+$/.test(v || ''), `meta ${name} is not a number: ${JSON.stringify(v)}`);
  }
  check(!(await page.content()).includes('{{'), 'the page still contains a {{placeholder}}');
  await page.getByRole('textbox', { name: 'Ihre Nachricht' }).waitFor();
  await screenshot('chat-loaded');

  // 2. First contact: the privacy notice with accept/decline.
  let since = await typeAndSend('Hallo');
  // The web chat's variant: the privacy link shows its name, not the URL or link markup.
  await chat.waitForBot(since, prefixRe(de['privacy.notice@webchat']), 'the privacy notice');
  const noticeLink = page.locator('.msg.bot .text a', { hasText: 'Datenschutzhinweisen' }).last();
  check(await noticeLink.count() === 1, 'the privacy notice shows no link named "Datenschutzhinweisen"');
  check(new URL(await noticeLink.getAttribute('href'), base).pathname === '/datenschutz',
    'the privacy notice link does not lead to /datenschutz');
  check(!(await chat.botTexts()).some((t) => t.includes('](') || t.includes('📎')),
    'a bot text shows link markup or a messenger-only hint');
  await chat.choiceButton(de['choice.accept']).waitFor({ timeout: STEP_TIMEOUT_MS });
  await chat.choiceButton(de['choice.decline']).waitFor({ timeout: STEP_TIMEOUT_MS });
  await screenshot('privacy-notice');

  // 3. Accept → main menu.
  since = await chat.clickChoice(de['choice.accept']);
  check(await page.locator('.msg.user .text').last().textContent() === de['choice.accept'],
    'the chosen label is not shown as the citizen\'s bubble');
  await chat.waitForBot(since, prefixRe(de['privacy.accepted']), 'the thanks after accepting');
  await chat.choiceButton(de['choice.report']).waitFor({ timeout: STEP_TIMEOUT_MS });
  await screenshot('privacy-accepted-menu');

  // 4. Report a defect → categories.
  since = await chat.clickChoice(de['choice.report']);
  await chat.waitForBot(since, prefixRe(de['category.prompt']), 'the category question');
  await screenshot('category-prompt');

  // 5. Pothole → the location question; the location button is highlighted.
  since = await chat.clickChoice(pothole.label.de);
  await chat.waitForBot(since, prefixRe(de['location.prompt@webchat']), 'the location question');
  await page.locator('#location-button.highlight').waitFor({ timeout: 5000 }).catch(() => {
    throw new TestFailure('the location question did not highlight the location button (request_location)');
  });
  await screenshot('location-prompt');

  // 6. Send the browser's location → maybe a duplicate question, then the photo question.
  since = (await chat.botTexts()).length;
  await page.getByRole('button', { name: 'Standort senden' }).click();
  let next = await chat.waitForBot(since, [prefixRe(de['duplicate.prompt']), prefixRe(de['photo.prompt']),
    templateRe(de['location.outside']), templateRe(de['location.outside_named'])], 'the duplicate or photo question');
  check(next.which < 2, `the Ebersberg location was rejected: ${next.text}`);
  await screenshot('location-sent');
  if (next.which === 0) {
    since = await chat.clickChoice(de['choice.dup_none']);
    await chat.waitForBot(since, prefixRe(de['photo.prompt']), 'the photo question');
    await screenshot('new-report-photo-prompt');
  }

  // 7. Upload the phone photo through the file input: the page redraws it at the server's long
  // edge (canvas: no metadata) and sends that, well below the server's body limit.
  since = (await chat.botTexts()).length;
  // What the page hands to fetch (the DevTools protocol does not show binary request bodies).
  await page.evaluate(() => {
    const original = window.fetch;
    window.bbUploads = [];
    window.fetch = async (url, options) => {
      if (String(url).endsWith('/chat/api/photo') && options && options.body instanceof Blob) {
        const bytes = new Uint8Array(await options.body.arrayBuffer());
        const head = Array.from(bytes.subarray(0, 4096), (b) => String.fromCharCode(b)).join('');
        window.bbUploads.push({ size: bytes.length, exif: head.includes('Exif\0\0') });
      }
      return original(url, options);
    };
  });
  await page.setInputFiles('#photo-input', phonePhoto);
  await page.locator('.msg.user.photo img.thumb').last().waitFor({ timeout: 5000 });
  const added = await chat.waitForBot(since, [templateRe(de['photo.added']), templateRe(de['photo.added_full']),
    templateRe(de['photo.rejected'])], 'the photo confirmation', 30_000);
  check(added.which < 2, `the photo was rejected: ${added.text}`);
  const uploads = await page.evaluate(() => window.bbUploads);
  check(uploads.length === 1, `expected one photo upload, saw ${uploads.length}`);
  const maxUpload = Number(await page.getAttribute('meta[name="max-upload-bytes"]', 'content'));
  check(uploads[0].size > 10_000 && uploads[0].size < Math.min(maxUpload, made.bytes / 2),
    `the upload has ${uploads[0].size} bytes: not scaled down in the browser`);
  check(!uploads[0].exif, 'the upload still carries an EXIF block');
  log(`upload: ${uploads[0].size} bytes (from ${made.bytes})`);
  check(await page.locator('.msg.user.photo.failed').count() === 0, 'the photo bubble is marked as failed');
  const thumbSrc = await page.locator('.msg.user.photo img.thumb').last().getAttribute('src');
  check(thumbSrc && thumbSrc.startsWith('blob:'), `the photo thumbnail is not a blob: URL (${thumbSrc})`);
  await screenshot('photo-uploaded');

  // 8. Continue → the category's extra question (if any) → the description question.
  since = await chat.clickChoice(de['choice.done']);
  const question = pothole.question ? pothole.question.de : null;
  next = await chat.waitForBot(since, [prefixRe(de['description.prompt']),
    ...(question ? [new RegExp(escapeRe(question))] : [])], 'the extra or description question');
  await screenshot('after-photos');
  if (next.which === 1) {
    since = await typeAndSend('ca. 30 cm');
    await chat.waitForBot(since, prefixRe(de['description.prompt']), 'the description question');
    await screenshot('question-answered');
  }

  // 9. A description that carries markup: it must stay text, in the citizen's bubble and in the summary.
  const description = `Tiefes Schlagloch vor der Bäckerei ${XSS}`;
  since = await typeAndSend(description);
  const summary = await chat.waitForBot(since, prefixRe(de['summary.text']), 'the summary');
  check(summary.text.includes(XSS), 'the summary does not show the description as text');
  check(await page.locator('img[src="x"]').count() === 0, 'markup in a message created an <img> element');
  check(await page.locator('.messages .text img, .messages .text *:not(a)').count() === 0,
    'message text contains elements other than links');
  check(await chat.choiceButton(de['choice.confirm']).isVisible(), 'the summary has no confirm button');
  await screenshot('summary');

  // 10. Confirm → the ticket number and the "Meldung verfolgen" link.
  since = await chat.clickChoice(de['choice.confirm']);
  const created = await chat.waitForBot(since, templateRe(de['ticket.created']), 'the ticket number');
  const number = Number(created.match.groups.number);
  const followLink = page.getByRole('link', { name: 'Meldung verfolgen' }).last();
  await followLink.waitFor({ timeout: 5000 }).catch(() => {
    throw new TestFailure('the ticket message has no "Meldung verfolgen" link (follow_url)');
  });
  const followUrl = await followLink.getAttribute('href');
  check(followUrl.startsWith(`${base}/chat/follow/`), `the follow link is not absolute on this origin: ${followUrl}`);
  log(`ticket ${number}`);
  await screenshot('ticket-created');

  // 11. The follow page shows the number.
  const followPage = await context.newPage();
  watch(followPage);
  const fr = await followPage.goto(followUrl, { waitUntil: 'load' });
  check(fr && fr.status() === 200, `the follow page answered ${fr && fr.status()}`);
  check((fr.headers()['content-security-policy'] || '').includes("default-src 'none'"),
    'the follow page has no Content-Security-Policy');
  const followText = await followPage.locator('body').innerText();
  check(new RegExp(`(^|\\D)${number}(\\D|$)`).test(followText), `the follow page does not show ticket ${number}`);
  await screenshot('follow-page', followPage);
  await followPage.close();

  // 12. The ticket, its category and its photo are in the database.
  let rows = '';
  for (let i = 0; i < 20; i++) {
    try {
      rows = sql('select number, category_id from tickets');
    } catch (e) {
      rows = '';
    }
    if (rows.split('\n').includes(`${number}|schlagloch`)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  check(rows.split('\n').includes(`${number}|schlagloch`),
    `ticket ${number} with category schlagloch not found in tickets; rows: ${JSON.stringify(rows)}`);
  const photos = sql(`select count(*) from ticket_photos where ticket_id = (select id from tickets where number = ${number})`);
  check(photos === '1', `ticket ${number} has ${photos} rows in ticket_photos, expected 1`);
  log(`database: tickets has ${number}|schlagloch, ticket_photos has 1 row`);
  if (!mock) {
    // The stored photo: no metadata at all, and no larger than the long edge the server keeps.
    const contentId = sql(`select m.content_id from media m join ticket_photos tp on tp.media_id = m.id ` +
      `join tickets t on t.id = tp.ticket_id where t.number = ${number}`);
    check(/^[0-9a-f]{64}$/.test(contentId), `no stored photo for ticket ${number} (${contentId})`);
    const stored = path.join(tmp, 'media', contentId.slice(0, 2), `${contentId}.jpg`);
    check(fs.existsSync(stored), `the stored photo ${stored} is missing`);
    const left = identifyingTags(execFileSync, stored);
    check(left.length === 0, `the stored photo still has: ${left.join(', ')}`);
    const size = execFileSync('exiftool', ['-s3', '-ImageSize', stored], { encoding: 'utf8' }).trim();
    const [w, h] = size.split(/[x ]/).map(Number);
    check(Math.max(w, h) <= 2048 && Math.max(w, h) >= 1000, `the stored photo is ${size}`);
    log(`stored photo: ${size}, no identifying metadata`);
  }

  // 12b. A typed address: "Marienplatz 1" is found in the demo gazetteer, the summary shows the
  // normalized address and the ticket gets coordinates and a district.
  const graffiti = categories.find((c) => c.id === 'graffiti');
  since = await chat.clickChoice(de['choice.report']);
  await chat.waitForBot(since, prefixRe(de['category.prompt']), 'the category question (second report)');
  since = await chat.clickChoice(graffiti.label.de);
  await chat.waitForBot(since, prefixRe(de['location.prompt@webchat']), 'the location question (second report)');
  since = await typeAndSend('marienplatz 1');
  await chat.waitForBot(since, prefixRe(de['photo.prompt']), 'the photo question after a typed address');
  await screenshot('typed-address-found');
  since = await chat.clickChoice(de['choice.skip']);
  await chat.waitForBot(since, prefixRe(de['description.prompt']), 'the description question (second report)');
  since = await chat.clickChoice(de['choice.skip']);
  const typedSummary = await chat.waitForBot(since, prefixRe(de['summary.text']), 'the summary of the typed address');
  check(typedSummary.text.includes('Marienplatz 1, 85560 Ebersberg'),
    `the summary does not show the normalized address: ${typedSummary.text}`);
  await screenshot('typed-address-summary');
  since = await chat.clickChoice(de['choice.confirm']);
  const typedCreated = await chat.waitForBot(since, templateRe(de['ticket.created']), 'the second ticket number');
  const typedNumber = Number(typedCreated.match.groups.number);
  let typedRow = '';
  for (let i = 0; i < 20 && !typedRow.startsWith('kernstadt|'); i++) {
    try {
      typedRow = sql('select district_id, cast(round(lat * 10000) as integer), cast(round(lon * 10000) as integer), ' +
        `address_text from tickets where number = ${typedNumber}`);
    } catch (e) {
      typedRow = '';
    }
    if (!typedRow.startsWith('kernstadt|')) await new Promise((r) => setTimeout(r, 250));
  }
  check(typedRow === 'kernstadt|480777|119706|Marienplatz 1, 85560 Ebersberg',
    `ticket ${typedNumber} has no coordinates and district from the typed address: ${JSON.stringify(typedRow)}`);
  log(`database: ticket ${typedNumber} from a typed address: ${typedRow}`);

  // 12c. An address in another town is refused like a pin outside.
  since = await chat.clickChoice(de['choice.report']);
  await chat.waitForBot(since, prefixRe(de['category.prompt']), 'the category question (third report)');
  since = await chat.clickChoice(graffiti.label.de);
  await chat.waitForBot(since, prefixRe(de['location.prompt@webchat']), 'the location question (third report)');
  since = await typeAndSend('Leopoldstraße 10, 80802 München');
  await chat.waitForBot(since, [templateRe(de['location.outside']), templateRe(de['location.outside_named'])],
    'the refusal of an address in another town');
  await screenshot('typed-address-elsewhere');
  since = await typeAndSend('abbrechen');
  await chat.waitForBot(since, prefixRe(de['cancel.done']), 'the cancel confirmation');

  // 13. The language switch: UI strings and the bot switch to English.
  since = (await chat.botTexts()).length;
  await page.getByRole('button', { name: 'Switch to English' }).click();
  check(await page.getAttribute('html', 'lang') === 'en', 'the language toggle did not switch the page to English');
  await page.getByRole('textbox', { name: 'Your message' }).waitFor({ timeout: 2000 });
  await chat.waitForBot(since, prefixRe(en['language.set']), 'the bot confirming English');
  await screenshot('english');

  // 14. The same page on a desktop screen.
  await page.setViewportSize({ width: 1280, height: 800 });
  await screenshot('desktop');

  check(h.dialogs.length === 0, `a dialog opened (script injection?): ${h.dialogs.join('; ')}`);
  check(h.foreignRequests.length === 0, `requests to other hosts: ${h.foreignRequests.join(', ')}`);
  check(h.consoleErrors.length === 0, `console errors:\n    ${h.consoleErrors.join('\n    ')}`);

  await context.close();
  await h.closeBrowser();

  // 15. SIGTERM → exit code 0.
  await h.stopServer();
}

// ---- main -----------------------------------------------------------------------------------

await h.main(run, {
  failureShots: () => [[page, 'failure.png']],
  after: () => {
    for (const note of contractNotes) console.log(`WARN api contract: ${note}`);
    console.log(`screenshots: ${artifactDir}`);
  },
});
