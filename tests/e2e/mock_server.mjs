#!/usr/bin/env node
// A stand-in for `buergerbox serve` that speaks the web chat's HTTP API (issue 5) with a tiny
// scripted bot, so the page and the browser test can be developed without the C++ backend.
//
// Usage: node mock_server.mjs serve --config config/demo.json   (cwd = source dir)
// Env:   BUERGERBOX_SERVER_PORT (0 = any), BUERGERBOX_STORAGE_PATH (the mock writes a tiny
//        SQLite file with the tables the test checks, through the sqlite3 CLI),
//        BUERGERBOX_STORAGE_MEDIA_DIR (unused).
// Prints `event=listening host=127.0.0.1 port=N` on stderr like the real server; exits 0 on SIGTERM.
// No dependencies beyond Node itself.
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const sourceDir = process.cwd();
const staticDir = path.join(sourceDir, 'web', 'static');
const texts = {
  de: JSON.parse(fs.readFileSync(path.join(sourceDir, 'config/texts/de.json'), 'utf8')),
  en: JSON.parse(fs.readFileSync(path.join(sourceDir, 'config/texts/en.json'), 'utf8')),
};
const categories = JSON.parse(fs.readFileSync(path.join(sourceDir, 'config/categories.json'), 'utf8'));
const dbPath = process.env.BUERGERBOX_STORAGE_PATH || '';
const port = Number(process.env.BUERGERBOX_SERVER_PORT ?? 8080);
const MAX_UPLOAD = 10 * 1024 * 1024;
const MAX_CHARS = 1000;
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
  "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const TYPES = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.html': 'text/html; charset=utf-8' };

const sessions = new Map();  // cookie value -> session
const follows = new Map();   // secret -> ticket
let nextTicket = 1001;

function tx(s, key, vars = {}) {
  let str = texts[s.lang][key] ?? texts.de[key] ?? key;
  for (const [k, v] of Object.entries(vars)) str = str.split('{' + k + '}').join(String(v));
  return str;
}
const choice = (s, id, key) => ({ id, label: tx(s, key) });
const menu = (s) => [choice(s, 'report', 'choice.report'), choice(s, 'letter', 'choice.letter'),
  choice(s, 'my_tickets', 'choice.my_tickets'), choice(s, 'help', 'choice.help')];

function say(s, text, extra = {}) {
  const m = { id: ++s.lastId, text, choices: extra.choices ?? [], request_location: !!extra.request_location };
  if (extra.follow_url) m.follow_url = extra.follow_url;
  s.outbox.push(m);
  for (const w of s.waiters.splice(0)) w();
}

function sqlQuote(v) { return "'" + String(v).replace(/'/g, "''") + "'"; }

function createTicket(s) {
  const number = nextTicket++;
  const secret = crypto.randomBytes(18).toString('base64url');
  follows.set(secret, { number, category: s.draft.category, status: 'eingegangen' });
  if (dbPath) {
    const sql = 'create table if not exists tickets (id integer primary key, number integer unique, ' +
      'category_id text, status text);' +
      'create table if not exists ticket_photos (ticket_id integer, media_id text, position integer);' +
      `insert into tickets (number, category_id, status) values (${number}, ${sqlQuote(s.draft.category)}, 'eingegangen');` +
      s.draft.photos.map((p, i) => `insert into ticket_photos values ((select id from tickets where number = ${number}), ${sqlQuote(p)}, ${i});`).join('');
    execFileSync('sqlite3', [dbPath, sql]);
  }
  return { number, secret };
}

// The scripted bot: privacy → menu → category → location → duplicate → photo → question →
// description → summary → ticket.
function step(s, ev) {
  if (ev.choice === 'lang:en' || ev.choice === 'lang:de') {
    s.lang = ev.choice.slice(5);
    say(s, tx(s, 'language.set'));
    return;
  }
  if (ev.text !== undefined && /^(hilfe|help)$/i.test(ev.text.trim())) {
    say(s, tx(s, 'help.general'));
    return;
  }
  switch (s.state) {
    case 'new':
      s.state = 'consent';
      say(s, tx(s, 'privacy.notice@webchat', { url: 'http://localhost:' + server.address().port + '/datenschutz' }),
        { choices: [choice(s, 'accept', 'choice.accept'), choice(s, 'decline', 'choice.decline')] });
      return;
    case 'consent':
      if (ev.choice === 'accept') { s.state = 'menu'; say(s, tx(s, 'privacy.accepted'), { choices: menu(s) }); }
      else if (ev.choice === 'decline') { s.state = 'new'; say(s, tx(s, 'privacy.declined')); }
      else say(s, tx(s, 'privacy.notice@webchat', { url: '/datenschutz' }),
        { choices: [choice(s, 'accept', 'choice.accept'), choice(s, 'decline', 'choice.decline')] });
      return;
    case 'menu':
      if (ev.choice === 'report') {
        s.state = 'category';
        s.draft = { photos: [] };
        say(s, tx(s, 'category.prompt'), {
          choices: categories.map((c) => ({ id: 'cat:' + c.id, label: c.label[s.lang] })),
        });
      } else say(s, tx(s, 'help.menu'), { choices: menu(s) });
      return;
    case 'category': {
      const cat = ev.choice && categories.find((c) => 'cat:' + c.id === ev.choice);
      if (!cat) { say(s, tx(s, 'help.report_category')); return; }
      s.draft.category = cat.id;
      s.draft.cat = cat;
      s.state = 'location';
      if (cat.notice) say(s, tx(s, 'category.notice', { notice: cat.notice[s.lang] }));
      say(s, tx(s, 'location.prompt@webchat'), { request_location: true, choices: [choice(s, 'cancel', 'choice.cancel')] });
      return;
    }
    case 'location':
      if (ev.lat !== undefined || (ev.text && ev.text.trim())) {
        s.draft.location = ev.lat !== undefined
          ? tx(s, 'summary.point', { lat: ev.lat.toFixed(4), lon: ev.lon.toFixed(4) }) : ev.text.trim();
        s.state = 'duplicate';
        say(s, tx(s, 'duplicate.prompt') + '\n' + tx(s, 'duplicate.item',
          { number: 998, category: s.draft.cat.label[s.lang], distance: 12, status: tx(s, 'status.eingegangen') }),
        { choices: [{ id: 'dup:998', label: 'Nr. 998' }, choice(s, 'dup:none', 'choice.dup_none')] });
      } else say(s, tx(s, 'help.report_location'), { request_location: true });
      return;
    case 'duplicate':
      if (ev.choice === 'dup:none') {
        s.state = 'photo';
        say(s, tx(s, 'photo.prompt', { max: 3 }), { choices: [choice(s, 'skip', 'choice.skip')] });
      } else say(s, tx(s, 'help.report_duplicate'));
      return;
    case 'photo':
      if (ev.photo) {
        s.draft.photos.push(ev.photo);
        say(s, tx(s, 'photo.added', { count: s.draft.photos.length, max: 3 }), { choices: [choice(s, 'done', 'choice.done')] });
      } else if (ev.choice === 'done' || ev.choice === 'skip') {
        if (s.draft.cat.question) {
          s.state = 'question';
          say(s, tx(s, 'question.prompt', { question: s.draft.cat.question[s.lang] }), { choices: [choice(s, 'skip', 'choice.skip')] });
        } else {
          s.state = 'description';
          say(s, tx(s, 'description.prompt', { max: MAX_CHARS }), { choices: [choice(s, 'skip', 'choice.skip')] });
        }
      } else say(s, tx(s, 'help.report_photo', { max_photos: 3 }));
      return;
    case 'question':
      s.draft.answer = ev.text ?? '';
      s.state = 'description';
      say(s, tx(s, 'description.prompt', { max: MAX_CHARS }), { choices: [choice(s, 'skip', 'choice.skip')] });
      return;
    case 'description':
      s.draft.description = ev.text ?? '';
      s.state = 'summary';
      say(s, tx(s, 'summary.text', {
        category: s.draft.cat.label[s.lang], location: s.draft.location, photos: s.draft.photos.length,
        extra: s.draft.answer ? tx(s, 'summary.extra', { answer: s.draft.answer }) : '',
        description: s.draft.description || tx(s, 'summary.none'),
      }), { choices: [choice(s, 'confirm', 'choice.confirm'), choice(s, 'change', 'choice.change'), choice(s, 'cancel', 'choice.cancel')] });
      return;
    case 'summary':
      if (ev.choice === 'confirm') {
        const t = createTicket(s);
        s.state = 'menu';
        say(s, tx(s, 'ticket.created', { number: t.number }), { follow_url: '/chat/follow/' + t.secret });
        say(s, tx(s, 'menu.prompt'), { choices: menu(s) });
      } else if (ev.choice === 'cancel') {
        s.state = 'menu';
        say(s, tx(s, 'cancel.done'), { choices: menu(s) });
      } else say(s, tx(s, 'help.report_summary'));
      return;
    default:
      say(s, tx(s, 'help.menu'), { choices: menu(s) });
  }
}

function send(res, status, body, headers = {}) {
  const isJson = typeof body === 'object' && !Buffer.isBuffer(body);
  const data = isJson ? JSON.stringify(body) : body;
  res.writeHead(status, {
    'Content-Type': isJson ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(data);
}
const err = (res, status, code, de, en, s) => send(res, status, { error: code, message: s && s.lang === 'en' ? en : de });

function session(req) {
  const m = /(?:^|;\s*)bb_chat=([A-Za-z0-9_-]+)/.exec(req.headers.cookie || '');
  return m ? sessions.get(m[1]) : undefined;
}

function readBody(req, limit) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => { size += c.length; if (size <= limit) chunks.push(c); });
    req.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks)));
  });
}

function page(title, body) {
  return '<!doctype html><html lang="de"><head><meta charset="utf-8"><meta name="viewport" ' +
    'content="width=device-width, initial-scale=1"><title>' + title + '</title>' +
    '<link rel="icon" href="/chat/static/icon.svg" type="image/svg+xml">' +
    '<link rel="stylesheet" href="/chat/static/chat.css"></head><body><main class="follow">' + body + '</main></body></html>';
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const p = url.pathname;
  try {
    if (req.method === 'GET' && p === '/chat') {
      const id = crypto.randomBytes(24).toString('base64url');
      const s = { id, csrf: crypto.randomBytes(24).toString('base64url'), lang: 'de', state: 'new', lastId: 0,
        outbox: [], waiters: [], draft: null };
      sessions.set(id, s);
      const html = fs.readFileSync(path.join(staticDir, 'chat.html'), 'utf8')
        .replaceAll('{{CSRF_TOKEN}}', s.csrf).replaceAll('{{LANG}}', 'de')
        .replaceAll('{{MAX_UPLOAD_BYTES}}', String(MAX_UPLOAD)).replaceAll('{{PHOTO_LONG_EDGE}}', '2048').replaceAll('{{MAX_MESSAGE_CHARS}}', String(MAX_CHARS));
      return send(res, 200, html, { 'Content-Type': 'text/html; charset=utf-8',
        'Set-Cookie': `bb_chat=${id}; Path=/chat; HttpOnly; SameSite=Strict`, 'X-Frame-Options': 'DENY' });
    }
    if (req.method === 'GET' && p.startsWith('/chat/static/')) {
      const name = p.slice('/chat/static/'.length);
      const type = TYPES[path.extname(name)];
      if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name) || !type || !fs.existsSync(path.join(staticDir, name))) {
        return send(res, 404, 'not found');
      }
      return send(res, 200, fs.readFileSync(path.join(staticDir, name)), { 'Content-Type': type, 'Cache-Control': 'no-cache' });
    }
    if (req.method === 'GET' && p.startsWith('/chat/follow/')) {
      const t = follows.get(p.slice('/chat/follow/'.length));
      if (!t) return send(res, 404, page('Nicht gefunden', '<h1>Meldung nicht gefunden</h1>'), { 'Content-Type': 'text/html; charset=utf-8' });
      return send(res, 200, page('Meldung ' + t.number,
        `<h1>Meldung Nr. ${t.number}</h1><p>Kategorie: ${t.category}</p><p class="status">${texts.de['status.' + t.status]}</p>` +
        `<h2>Verlauf</h2><ol class="history"><li><span class="when">heute</span>Meldung eingegangen</li></ol>`),
      { 'Content-Type': 'text/html; charset=utf-8' });
    }
    if (req.method === 'GET' && p === '/datenschutz') {
      return send(res, 200, page('Datenschutz', '<h1>Datenschutz</h1><p>Mock.</p>'), { 'Content-Type': 'text/html; charset=utf-8' });
    }
    if (req.method === 'GET' && p === '/healthz') return send(res, 200, 'ok');

    const s = session(req);
    if (p.startsWith('/chat/api/') && !s) return err(res, 403, 'no_session', 'Ihre Sitzung ist abgelaufen. Bitte laden Sie die Seite neu.', 'Your session has expired. Please reload the page.');

    if (req.method === 'GET' && p === '/chat/api/messages') {
      const after = Number(url.searchParams.get('after') || 0);
      const pending = () => s.outbox.filter((m) => m.id > after);
      if (pending().length === 0) {
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, 25000);
          s.waiters.push(() => { clearTimeout(timer); resolve(); });
          req.on('close', () => { clearTimeout(timer); resolve(); });
        });
      }
      const messages = pending();
      return send(res, 200, { messages, last: messages.length ? messages[messages.length - 1].id : after });
    }
    if (req.method === 'POST' && (p === '/chat/api/send' || p === '/chat/api/photo')) {
      if (req.headers['x-csrf-token'] !== s.csrf) return err(res, 403, 'csrf', 'Sicherheitsprüfung fehlgeschlagen. Bitte laden Sie die Seite neu.', 'Security check failed. Please reload the page.', s);
      if (p === '/chat/api/send') {
        if (!/^application\/json/.test(req.headers['content-type'] || '')) return err(res, 400, 'content_type', 'Ungültige Anfrage.', 'Invalid request.', s);
        const body = await readBody(req, 16 * 1024);
        if (!body) return err(res, 413, 'too_large', 'Die Nachricht ist zu lang.', 'The message is too long.', s);
        let ev;
        try { ev = JSON.parse(body.toString('utf8')); } catch { return err(res, 400, 'bad_json', 'Ungültige Anfrage.', 'Invalid request.', s); }
        if (typeof ev.text === 'string' && [...ev.text].length > MAX_CHARS) return err(res, 413, 'too_long', `Die Nachricht ist zu lang (höchstens ${MAX_CHARS} Zeichen).`, `The message is too long (at most ${MAX_CHARS} characters).`, s);
        send(res, 202, { ok: true });
        setTimeout(() => step(s, ev), 150);
        return;
      }
      const type = req.headers['content-type'] || '';
      if (!/^image\//.test(type)) return err(res, 400, 'media_type', 'Bitte senden Sie ein Foto.', 'Please send a photo.', s);
      const body = await readBody(req, MAX_UPLOAD);
      if (!body) return err(res, 413, 'too_large', 'Das Foto ist zu groß.', 'The photo is too large.', s);
      const jpeg = body[0] === 0xff && body[1] === 0xd8;
      const png = body.subarray(0, 4).toString('latin1') === '\x89PNG';
      if (!jpeg && !png) return err(res, 400, 'media_rejected', tx(s, 'photo.rejected'), texts.en['photo.rejected'], s);
      send(res, 202, { ok: true });
      const mediaId = crypto.createHash('sha256').update(body).digest('hex');
      setTimeout(() => step(s, { photo: mediaId }), 300);
      return;
    }
    return send(res, 404, 'not found');
  } catch (e) {
    process.stderr.write('event=error what=' + JSON.stringify(String(e)) + '\n');
    if (!res.headersSent) send(res, 500, { error: 'internal', message: 'Interner Fehler.' });
  }
});

server.listen(port, '127.0.0.1', () => {
  process.stderr.write(`event=listening host=127.0.0.1 port=${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  for (const s of sessions.values()) for (const w of s.waiters.splice(0)) w();
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
});
