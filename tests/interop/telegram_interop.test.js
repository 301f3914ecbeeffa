// Interoperability: the real `buergerbox serve` in polling mode against
// telegram-test-api, a Bot API emulator written by others (npm, installed in this folder by
// scripts/install-deps.sh). A simulated user sends messages and presses buttons; the bot's
// replies are asserted through the emulator's client API, the ticket in the server's database.
//
// The emulator's known quirks (reference/channels.md §4.1) and how this test handles
// them:
// - no X-Telegram-Bot-Api-Secret-Token and a crash on non-2xx webhook answers: the bot runs in
//   polling mode, so the emulator never calls it;
// - reused update_id for quick sends: the user sends the next message only after the bot's reply
//   to the previous one arrived (so ids differ and dedup by update_id drops nothing);
// - getUpdates ignores offset and timeout: the bot's dedup and its idle pause cope with that;
// - callback updates lack chat_instance and message_id/date: the parser does not need them;
// - no getFile: photos are covered by tests/integration/telegram_integration_test.cpp (a fake).
//
// Usage: node telegram_interop.test.js <buergerbox binary> <source dir> <work dir>
// Fails (exit 1), never skips, when the package or anything else is missing.
'use strict';

const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const [binary, sourceDir, workDir] = process.argv.slice(2);
const TOKEN = '4242:interop-token';
const USER = 6200000042;
const DEADLINE_MS = 15000;

function fail(message) {
  console.error(`telegram interop: FAIL: ${message}`);
  process.exit(1);
}

if (!binary || !sourceDir || !workDir) { fail('usage: <binary> <source dir> <work dir>'); }

let TelegramServer;
try {
  TelegramServer = require('telegram-test-api');
} catch (e) {
  fail('telegram-test-api is not installed in tests/interop (run scripts/install-deps.sh): ' +
       e.message);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, fn) {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await fn();
    if (value) { return value; }
    if (Date.now() > deadline) { throw new Error(`timed out waiting for ${what}`); }
    await sleep(50);
  }
}

//! Starts `buergerbox serve` and resolves with { child, port, log() } once it listens.
function startBot(apiUrl, dir) {
  const env = {
    ...process.env,
    BUERGERBOX_SERVER_PORT: '0',
    BUERGERBOX_STORAGE_PATH: path.join(dir, 'db.sqlite'),
    BUERGERBOX_STORAGE_MEDIA_DIR: path.join(dir, 'media'),
    BUERGERBOX_WEBCHAT_ENABLED: 'false',
    BUERGERBOX_TELEGRAM_ENABLED: 'true',
    BUERGERBOX_TELEGRAM_MODE: 'polling',
    BUERGERBOX_TELEGRAM_API_BASE: apiUrl,
    BUERGERBOX_TELEGRAM_BOT_TOKEN: TOKEN,
    BUERGERBOX_TELEGRAM_PER_CHAT_INTERVAL_MS: '0',
    BUERGERBOX_TELEGRAM_POLL_TIMEOUT_S: '1',
    BUERGERBOX_PRIVACY_PSEUDONYM_KEY: '5'.repeat(64),
    BUERGERBOX_PRIVACY_ENCRYPTION_KEY: '6'.repeat(64),
  };
  const child = spawn(binary, ['serve', '--config', 'config/demo.json'],
                      { cwd: sourceDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  return until('the server to listen', () => {
    if (child.exitCode !== null) { throw new Error(`server exited: ${log}`); }
    const m = /event=listening .*port=(\d+)/.exec(log);
    return m ? { child, port: Number(m[1]), log: () => log } : null;
  });
}

function stopBot(bot) {
  return new Promise((resolve) => {
    if (bot.child.exitCode !== null) { resolve(bot.child.exitCode); return; }
    bot.child.once('exit', (code) => resolve(code));
    bot.child.kill('SIGTERM');
  });
}

async function main() {
  fs.mkdirSync(workDir, { recursive: true });
  const dir = fs.mkdtempSync(path.join(workDir, 'tg-interop-'));
  // Port 0: the emulator listens on a free port chosen by the kernel.
  const server = new TelegramServer({ port: 0, host: '127.0.0.1', storeTimeout: 60 });
  await server.start();
  const apiUrl = `http://127.0.0.1:${server.server.address().port}`;
  server.config.apiURL = apiUrl;
  const client = server.getClient(TOKEN, { userId: USER, chatId: USER, firstName: 'Erika' });
  const bot = await startBot(apiUrl, dir);
  let replies = [];

  //! Waits for the bot's next reply (or replies) to the user.
  //! The bot's unread messages to the user (the emulator's client API, answered at once).
  async function unread() {
    const res = await fetch(`${apiUrl}/getUpdates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TOKEN, chatId: USER }),
    });
    const data = await res.json();
    return (data.result || []).map((u) => u.message);
  }
  //! The bot's replies to the last user action: the first ones, plus whatever follows them
  //! within a short quiet period (one step may send two messages).
  async function nextReplies() {
    const got = await until('a reply from the bot', async () => {
      const m = await unread();
      return m.length > 0 ? m : null;
    });
    const quietUntil = Date.now() + 400;
    while (Date.now() < quietUntil) {
      const more = await unread();
      got.push(...more);
      if (more.length === 0) { await sleep(100); }
    }
    return got;
  }
  function buttons(messages) {
    const out = [];
    for (const m of messages) {
      const kb = m.reply_markup && m.reply_markup.inline_keyboard;
      if (!kb) { continue; }
      for (const row of kb) {
        assert.ok(row.length <= 3, 'at most 3 buttons per row');
        for (const b of row) { out.push(b.callback_data); }
      }
    }
    return out;
  }
  async function say(text) {
    await client.sendMessage(client.makeMessage(text));
    replies = await nextReplies();
    return replies;
  }
  async function press(data) {
    assert.ok(buttons(replies).includes(data),
              `button ${data} offered in ${JSON.stringify(replies)}`);
    await client.sendCallback(client.makeCallbackQuery(data));
    replies = await nextReplies();
    return replies;
  }

  try {
    await say('Hallo');
    assert.ok(buttons(replies).includes('accept'), 'the privacy notice offers accept');
    await press('accept');
    await press('report');
    assert.ok(buttons(replies).includes('cat:schlagloch'), 'categories offered');
    await press('cat:schlagloch');
    // The emulator keeps only inline keyboards, so the location keyboard is not visible here;
    // tests/integration checks it. The user shares a location (forwarded verbatim).
    await client.sendMessage(client.makeMessage(undefined, {
      location: { latitude: 48.0777, longitude: 11.9706, horizontal_accuracy: 10 },
    }));
    replies = await nextReplies();
    assert.ok(buttons(replies).includes('skip'),
              `photo step offers skip: ${JSON.stringify(replies)}`);
    await press('skip');
    await say('etwa 30 cm breit');
    await say('Tiefes Loch vor der Apotheke');
    assert.ok(buttons(replies).includes('confirm'), 'summary offers confirm');
    await press('confirm');

    const db = path.join(dir, 'db.sqlite');
    const number = await until('the ticket', () => {
      const out = execFileSync('sqlite3', [db, 'SELECT number FROM tickets']).toString().trim();
      return out.length > 0 ? out : null;
    });
    const last = replies.map((m) => m.text).join('\n');
    assert.ok(last.includes(number), `the bot names ticket ${number}: ${last}`);
    const channel = execFileSync('sqlite3', [db, 'SELECT channel FROM tickets']).toString().trim();
    assert.equal(channel, 'telegram');
    // Dedup held: every user action became exactly one stored event.
    const events = execFileSync('sqlite3', [db, 'SELECT count(*) FROM inbound_events'])
      .toString().trim();
    assert.equal(Number(events), 9);
    // Nothing personal or secret in the log.
    assert.ok(!bot.log().includes('interop-token'), 'token not logged');
    assert.ok(!bot.log().includes(String(USER)), 'chat id not logged');
  } finally {
    const code = await stopBot(bot);
    await server.stop();
    if (code !== 0) { console.error(bot.log()); }
    assert.equal(code, 0, 'the server stops cleanly');
  }
  console.log('telegram interop: 1 passed, 0 failed');
}

main().catch((e) => fail(e.stack || String(e)));
