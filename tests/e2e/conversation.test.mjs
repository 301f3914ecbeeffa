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
import path from 'node:path';
import { ChatPage, STEP_TIMEOUT_MS, check, createHarness, escapeRe, firstLogin, prefixRe } from './harness.mjs';

const EBERSBERG = { latitude: 48.0777, longitude: 11.9706, accuracy: 12.5 };
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1366, height: 900 };
const DESCRIPTION = 'Graffiti an der Wand der Grundschule';
const REPLY_1 = 'Wo genau ist das Graffiti – an der Straßenseite oder am Pausenhof?';
const ANSWER_1 = 'Genau an der Straßenseite, neben dem Eingang, ca. 2 m breit.';
const REPLY_2 = 'Danke! Der Bauhof entfernt es nächste Woche.';

const h = createHarness({ script: 'conversation.test.mjs', name: 'e2e.conversation',
  logPrefix: '[e2e-conversation]', tmpPrefix: 'bb-e2e-conversation-', shotPrefix: 'conversation-step-',
  timeLimitMs: 150_000 });
const log = (...a) => h.log(...a);
const de = h.readJson('config/texts/de.json');
const graffiti = h.readJson('config/categories.json').find((c) => c.id === 'graffiti');
const fixturePhoto = path.join(h.sourceDir, 'tests/fixtures/media/gps_DSCN0010.jpg');

// ---- pages ----------------------------------------------------------------------------------

let chat = null;     // the citizen's web chat (a phone)
let webchat = null;  // the same, as a ChatPage
let inbox = null;    // the staff member's inbox (a desktop)

function watch(p) {
  return h.watch(p, {
    skipProtocols: ['blob:', 'data:'],
    // The malformed follow link is answered 404 on purpose (with the friendly page).
    ignoreConsole: (msg) => /\/chat\/follow\//.test(msg.location().url || ''),
  });
}

// The page at phone width and at desktop width.
async function screenshotBoth(name, target) {
  await target.setViewportSize(PHONE);
  await h.screenshot(target, `${name}-390`);
  await target.setViewportSize(DESKTOP);
  await h.screenshot(target, `${name}-desktop`);
  await target.setViewportSize(PHONE);
}

// ---- the steps ------------------------------------------------------------------------------

async function reportInChat(base) {
  await chat.goto(`${base}/chat`, { waitUntil: 'load' });
  let since = await webchat.typeAndSend('Hallo');
  await webchat.waitForBot(since, prefixRe(de['privacy.notice@webchat']), 'the privacy notice');
  since = await webchat.clickChoice(de['choice.accept']);
  await webchat.waitForBot(since, prefixRe(de['privacy.accepted']), 'the menu');
  since = await webchat.clickChoice(de['choice.report']);
  await webchat.waitForBot(since, prefixRe(de['category.prompt']), 'the category question');
  since = await webchat.clickChoice(graffiti.label.de);
  await webchat.waitForBot(since, prefixRe(de['location.prompt@webchat']), 'the location question');
  since = (await webchat.botTexts()).length;
  await chat.getByRole('button', { name: 'Standort senden' }).click();
  await webchat.waitForBot(since, prefixRe(de['photo.prompt']), 'the photo question');
  since = (await webchat.botTexts()).length;
  await chat.setInputFiles('#photo-input', fixturePhoto);
  await webchat.waitForBot(since, prefixRe(de['photo.added']), 'the photo confirmation');
  since = await webchat.clickChoice(de['choice.done']);
  await webchat.waitForBot(since, prefixRe(de['description.prompt']), 'the description question');
  since = await webchat.typeAndSend(DESCRIPTION);
  await webchat.waitForBot(since, prefixRe(de['summary.text']), 'the summary');
  since = await webchat.clickChoice(de['choice.confirm']);
  const created = await webchat.waitForBot(since, prefixRe(de['ticket.created']), 'the ticket number');
  const number = Number(/(\d{3,})/.exec(created.text)[1]);
  check(number > 0, `no ticket number in ${JSON.stringify(created.text)}`);
  const followUrl = await chat.getByRole('link', { name: 'Meldung verfolgen' }).last().getAttribute('href');
  return { number, followUrl };
}

async function staffLogin(base) {
  const { login, password } = h.server.demoLogin();
  await inbox.goto(`${base}/inbox`, { waitUntil: 'load' });
  // The demo password was printed on the terminal: the inbox asks for an own one first.
  await firstLogin(inbox, login, password);
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
  const bots = await webchat.botTexts();
  const users = await webchat.userTexts();
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
  h.prepareArtifacts(/^conversation-(step-\d+-.*|failure)\.png$/);
  h.requireChromium();
  check(graffiti, 'config/categories.json has no category "graffiti"');
  const chromium = await h.playwright();
  const base = await h.startServer();
  const browser = await h.launchBrowser(chromium);
  const phone = await browser.newContext({ viewport: PHONE, locale: 'de-DE', reducedMotion: 'reduce',
    geolocation: EBERSBERG, permissions: ['geolocation'] });
  await phone.grantPermissions(['geolocation'], { origin: base });
  chat = watch(await phone.newPage());
  webchat = new ChatPage(chat);
  const desk = await browser.newContext({ viewport: DESKTOP, locale: 'de-DE', reducedMotion: 'reduce' });
  inbox = watch(await desk.newPage());

  // 1. The citizen reports in the web chat.
  const { number, followUrl } = await reportInChat(base);
  check(followUrl && followUrl.startsWith(`${base}/chat/follow/`), `no follow link: ${followUrl}`);
  log(`ticket ${number}`);
  await h.screenshot(chat, 'reported');

  // 2. Staff reply in the inbox.
  await staffLogin(base);
  await inbox.goto(`${base}/inbox/tickets/${number}`, { waitUntil: 'load' });
  await staffReply(REPLY_1);
  await h.screenshot(inbox, 'staff-replied');

  // 3. The citizen sees it and answers; one confirmation.
  let since = (await webchat.botTexts()).length;
  await webchat.waitForBot(0, new RegExp(escapeRe(REPLY_1)), 'the staff reply in the chat');
  since = await webchat.typeAndSend(ANSWER_1);
  await webchat.waitForBot(since, prefixRe(de['reply.received']), 'the confirmation of the answer');
  await h.screenshot(chat, 'citizen-answered');

  // 4. Staff see the ticket marked "neue Antwort", open it, read the answer and reply again.
  await inbox.goto(`${base}/inbox`, { waitUntil: 'load' });
  const row = inbox.locator('table.tickets tbody tr', { has: inbox.getByRole('link', { name: String(number), exact: true }) });
  check(await row.locator('.badge.new-reply').count() === 1, 'the ticket is not marked "neue Antwort" in the list');
  check((await inbox.locator('.new-reply-filter .count').first().textContent()).trim() === '1',
    'the "neue Antwort" filter does not count the ticket');
  await h.screenshot(inbox, 'inbox-marked');
  await inbox.getByRole('link', { name: String(number), exact: true }).click();
  await inbox.getByRole('heading', { name: `Meldung ${number}` }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const thread = await inbox.locator('.ev-citizen_message .ev-body').allTextContents();
  check(thread.some((t) => t.includes(ANSWER_1)), `the citizen's answer is not in the thread: ${JSON.stringify(thread)}`);
  await staffReply(REPLY_2);
  await h.screenshot(inbox, 'staff-replied-again');
  await webchat.waitForBot(0, new RegExp(escapeRe(REPLY_2)), 'the second staff reply in the chat');

  // 5. The citizen reloads the chat: the whole conversation, both sides.
  await chat.reload({ waitUntil: 'load' });
  await checkRestored(number);
  await screenshotBoth('chat-reloaded', chat);
  // The beginning of the conversation: the citizen's first words, the picked choices, the photo.
  await chat.locator('#messages').evaluate((el) => { el.scrollTop = 0; });
  await h.screenshot(chat, 'chat-reloaded-top-390');
  await chat.locator('.msg.user.photo').scrollIntoViewIfNeeded();
  await h.screenshot(chat, 'chat-reloaded-photo-390');

  // 6. The follow page shows the city's replies.
  const follow = watch(await phone.newPage());
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

  check(h.dialogs.length === 0, `a dialog opened: ${h.dialogs.join('; ')}`);
  check(h.foreignRequests.length === 0, `requests to other hosts: ${h.foreignRequests.join(', ')}`);
  check(h.consoleErrors.length === 0, `console errors:\n    ${h.consoleErrors.join('\n    ')}`);
  await h.closeBrowser();
  await h.stopServer();
}

await h.main(run, {
  failureShots: () => [[chat, 'conversation-failure-chat.png'], [inbox, 'conversation-failure-inbox.png']],
});
