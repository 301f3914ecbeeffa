// Bürgerbox web chat: the citizen's side of the conversation.
//
// Rules this file keeps (DESIGN.md §6, §7 and the page's Content-Security-Policy):
// - every text from the citizen or the bot is rendered with textContent, never as HTML;
// - no inline styles, no client storage (no cookies, localStorage or sessionStorage), no
//   third-party requests: everything goes to this origin;
// - every state-changing request carries the page's CSRF token.
'use strict';

(function () {
  const STRINGS = {
    de: {
      skip: 'Zur Eingabe springen',
      subtitle: 'Mängel melden, Nachrichten an die Stadt',
      conversation: 'Unterhaltung',
      messages: 'Nachrichten',
      intro: 'Guten Tag! Schreiben Sie uns einfach, zum Beispiel „Hallo“. Wir führen Sie Schritt für Schritt durch Ihre Meldung.',
      inputLabel: 'Ihre Nachricht',
      placeholder: 'Nachricht schreiben…',
      send: 'Senden',
      photo: 'Foto',
      location: 'Standort senden',
      cookies: 'Keine Cookies außer der Sitzung.',
      privacy: 'Datenschutz',
      langToggle: 'EN',
      langToggleLabel: 'Switch to English',
      langToggleLang: 'en',
      langName: 'Deutsch',
      you: 'Sie',
      bot: 'Bürgerbox',
      choices: 'Antwortmöglichkeiten',
      follow: 'Meldung verfolgen',
      followHint: 'Über diesen Link sehen Sie jederzeit den Stand Ihrer Meldung – ohne Konto. Bitte speichern Sie ihn.',
      uploading: 'Foto wird hochgeladen…',
      photoSent: 'Ihr Foto',
      photoNoPreview: 'Foto (keine Vorschau möglich)',
      locating: 'Standort wird ermittelt…',
      locationSent: 'Standort gesendet',
      locationAccuracy: 'Standort gesendet (Genauigkeit ca. {m} m)',
      locationUnavailable: 'Ihr Standort ist nicht verfügbar. Bitte schreiben Sie stattdessen die Adresse, z. B. „Marienplatz 1“.',
      locationDenied: 'Sie haben den Zugriff auf den Standort nicht erlaubt. Bitte schreiben Sie stattdessen die Adresse, z. B. „Marienplatz 1“.',
      locationRequested: 'Tipp: „Standort senden“ übermittelt den Ort direkt.',
      tooLong: 'Die Nachricht ist zu lang ({length} Zeichen, höchstens {max}).',
      charsLeft: 'Noch {n} Zeichen.',
      empty: 'Bitte schreiben Sie zuerst eine Nachricht.',
      photoTooBig: 'Das Foto ist zu groß ({size} MB, höchstens {max} MB). Bitte wählen Sie ein kleineres.',
      photoType: 'Das ist kein Foto. Bitte wählen Sie eine Bilddatei (JPEG, PNG oder WebP).',
      failed: 'Nicht gesendet',
      photoFailed: 'Foto nicht gesendet',
      networkError: 'Keine Verbindung zum Server. Bitte versuchen Sie es gleich noch einmal.',
      reconnecting: 'Verbindung unterbrochen – neuer Versuch in {s} s…',
      sessionExpired: 'Ihre Sitzung ist abgelaufen. Bitte laden Sie die Seite neu.',
      genericError: 'Das hat leider nicht geklappt. Bitte versuchen Sie es noch einmal.',
    },
    en: {
      skip: 'Skip to the message field',
      subtitle: 'Report problems, write to the city',
      conversation: 'Conversation',
      messages: 'Messages',
      intro: 'Hello! Just write to us, for example “Hello”. We will guide you step by step through your report.',
      inputLabel: 'Your message',
      placeholder: 'Write a message…',
      send: 'Send',
      photo: 'Photo',
      location: 'Send location',
      cookies: 'No cookies except the session.',
      privacy: 'Privacy',
      langToggle: 'DE',
      langToggleLabel: 'Auf Deutsch wechseln',
      langToggleLang: 'de',
      langName: 'English',
      you: 'You',
      bot: 'Bürgerbox',
      choices: 'Reply options',
      follow: 'Follow my report',
      followHint: 'With this link you can check the status of your report at any time – no account needed. Please keep it.',
      uploading: 'Uploading photo…',
      photoSent: 'Your photo',
      photoNoPreview: 'Photo (no preview available)',
      locating: 'Finding your location…',
      locationSent: 'Location sent',
      locationAccuracy: 'Location sent (accuracy about {m} m)',
      locationUnavailable: 'Your location is not available. Please type the address instead, e.g. “Marienplatz 1”.',
      locationDenied: 'You did not allow access to your location. Please type the address instead, e.g. “Marienplatz 1”.',
      locationRequested: 'Tip: “Send location” sends the place directly.',
      tooLong: 'The message is too long ({length} characters, at most {max}).',
      charsLeft: '{n} characters left.',
      empty: 'Please write a message first.',
      photoTooBig: 'The photo is too large ({size} MB, at most {max} MB). Please choose a smaller one.',
      photoType: 'This is not a photo. Please choose an image file (JPEG, PNG or WebP).',
      failed: 'Not sent',
      photoFailed: 'Photo not sent',
      networkError: 'No connection to the server. Please try again in a moment.',
      reconnecting: 'Connection lost – retrying in {s} s…',
      sessionExpired: 'Your session has expired. Please reload the page.',
      genericError: 'Sorry, that did not work. Please try again.',
    },
  };

  const $ = (id) => document.getElementById(id);
  const els = {
    html: document.documentElement,
    messages: $('messages'),
    form: $('composer'),
    input: $('message-input'),
    send: $('send-button'),
    photo: $('photo-input'),
    photoLabel: $('photo-label'),
    location: $('location-button'),
    lang: $('lang-toggle'),
    notice: $('notice'),
    activity: $('activity'),
    charHint: $('char-hint'),
    intro: $('intro'),
  };

  function meta(name) {
    const el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute('content') || '' : '';
  }
  function metaInt(name, fallback) {
    const n = Number.parseInt(meta(name), 10);
    return Number.isFinite(n) && n > 0 ? n : fallback;
  }

  const csrfToken = meta('csrf-token');
  const maxUploadBytes = metaInt('max-upload-bytes', 4 * 1024 * 1024);
  const photoLongEdge = metaInt('photo-long-edge', 2048);
  const maxMessageChars = metaInt('max-message-chars', 1000);

  let lang = els.html.getAttribute('lang') === 'en' ? 'en' : 'de';
  els.html.setAttribute('lang', lang);

  function t(key, vars) {
    let s = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.de[key] || key;
    if (vars) {
      for (const [k, v] of Object.entries(vars)) s = s.split('{' + k + '}').join(String(v));
    }
    return s;
  }

  // ---- UI language -------------------------------------------------------------------------

  function applyLanguage() {
    els.html.setAttribute('lang', lang);
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll('[data-i18n-label]')) {
      el.setAttribute('aria-label', t(el.dataset.i18nLabel));
    }
    for (const el of document.querySelectorAll('[data-i18n-placeholder]')) {
      el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder));
    }
    for (const el of document.querySelectorAll('.choices')) el.setAttribute('aria-label', t('choices'));
    els.lang.textContent = t('langToggle');
    els.lang.setAttribute('aria-label', t('langToggleLabel'));
    els.lang.setAttribute('lang', t('langToggleLang'));
    updateCharHint();
  }

  els.lang.addEventListener('click', () => {
    lang = lang === 'de' ? 'en' : 'de';
    applyLanguage();
    // The bot switches too; the citizen sees the switch as their own choice.
    addUserText(t('langName'));  // the new language's own name
    postSend({ choice: 'lang:' + lang, label: t('langName') });
  });

  // ---- Rendering ---------------------------------------------------------------------------

  // New messages scroll into view while the citizen is following the conversation: right after
  // their own action, or when they were already at the bottom. Reading older messages is not
  // interrupted.
  let lastOwnAction = 0;
  function nearBottom() {
    const m = els.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < 120;
  }
  function reveal(li, follow) {
    if (!follow) return;
    const m = els.messages;
    if (li && li.offsetHeight > m.clientHeight - 16) {
      m.scrollTop = li.offsetTop - 8;  // a long message: show its beginning
    } else {
      m.scrollTop = m.scrollHeight;
    }
  }

  function hideIntro() {
    if (els.intro) {
      els.intro.remove();
      els.intro = null;
    }
  }

  function senderLabel(who) {
    const s = document.createElement('span');
    s.className = 'visually-hidden';
    s.textContent = t(who) + ': ';
    return s;
  }

  function addUserBubble() {
    hideIntro();
    const li = document.createElement('li');
    li.className = 'msg user';
    const bubble = document.createElement('div');
    bubble.className = 'bubble';
    bubble.appendChild(senderLabel('you'));
    li.appendChild(bubble);
    els.messages.appendChild(li);
    lastOwnAction = Date.now();
    reveal(li, true);
    return { li, bubble };
  }

  function addUserText(text) {
    const m = addUserBubble();
    const p = document.createElement('p');
    p.className = 'text';
    p.textContent = text;
    m.bubble.appendChild(p);
    return m;
  }

  function markFailed(m, message) {
    if (!m) return;
    m.li.classList.add('failed');
    const note = document.createElement('p');
    note.className = 'failed-note';
    note.textContent = t(m.li.classList.contains('photo') ? 'photoFailed' : 'failed') + (message ? ' – ' + message : '');
    m.bubble.appendChild(note);
  }

  // URLs in bot text become links; "[link text](URL)" (the web chat's text variants) becomes a
  // link showing its text; everything else stays plain text nodes.
  const LINK_RE = /\[([^\]\n]{1,80})\]\((https?:\/\/[^\s()<>]+|\/[A-Za-z0-9][^\s()<>]*)\)|(https?:\/\/[^\s<>"'“”„«»]+)|((?:^|(?<=\s))\/[A-Za-z0-9][^\s<>"'“”„«»]*)/g;
  const TRAILING_PUNCT = /[.,;:!?)\]]+$/;

  function safeHref(raw) {
    let url;
    try {
      url = new URL(raw, location.origin);
    } catch (e) {
      return null;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    if (raw.startsWith('/') && url.origin !== location.origin) return null;  // "//evil.example"
    return url;
  }

  function appendLinkified(parent, text) {
    let last = 0;
    LINK_RE.lastIndex = 0;
    let m;
    while ((m = LINK_RE.exec(text)) !== null) {
      let raw = m[0];
      let label = null;
      let target = raw;
      if (m[1] !== undefined) {
        label = m[1];
        target = m[2];
      } else {
        const trail = raw.match(TRAILING_PUNCT);
        if (trail) raw = raw.slice(0, raw.length - trail[0].length);
        target = raw;
      }
      const url = target ? safeHref(target) : null;
      if (!url) continue;
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      const a = document.createElement('a');
      a.href = url.href;
      a.textContent = label !== null ? label : raw;
      if (url.origin !== location.origin) {
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
      }
      parent.appendChild(a);
      last = m.index + raw.length;
      LINK_RE.lastIndex = last;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // The follow page lives on this server: the link is built from this page's origin, so it works
  // whatever host name the citizen used. An absolute URL is accepted for its path only.
  function followLinkFor(raw) {
    if (typeof raw !== 'string' || raw === '') return null;
    let url;
    try {
      url = new URL(raw, location.origin);
    } catch (e) {
      return null;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    if (!url.pathname.startsWith('/chat/follow/')) return null;
    return location.origin + url.pathname;
  }

  function disableChoices(group) {
    if (!group || group.dataset.used === '1') return;
    group.dataset.used = '1';
    for (const b of group.querySelectorAll('button')) b.disabled = true;
  }

  let awaitingLocation = false;
  function setLocationHighlight(on) {
    awaitingLocation = on;
    els.location.classList.toggle('highlight', on);
  }

  const seenIds = new Set();

  function renderBotMessage(msg) {
    if (typeof msg !== 'object' || msg === null) return;
    if (msg.id != null) {
      if (seenIds.has(msg.id)) return;
      seenIds.add(msg.id);
    }
    const follow = nearBottom() || Date.now() - lastOwnAction < 120000;
    hideIntro();
    const li = document.createElement('li');
    li.className = 'msg bot';
    const bubble = document.createElement('div');
    bubble.className = 'bubble';
    bubble.appendChild(senderLabel('bot'));
    const text = typeof msg.text === 'string' ? msg.text : '';
    const p = document.createElement('p');
    p.className = 'text';
    appendLinkified(p, text);
    bubble.appendChild(p);

    const followHref = followLinkFor(msg.follow_url);
    if (followHref) {
      const box = document.createElement('div');
      box.className = 'follow-box';
      const a = document.createElement('a');
      a.className = 'follow-link';
      a.href = followHref;
      a.textContent = t('follow');
      a.target = '_blank';  // the chat stays open beside it
      a.rel = 'noopener';
      const hint = document.createElement('p');
      hint.className = 'follow-hint';
      hint.textContent = t('followHint');
      const url = document.createElement('p');
      url.className = 'follow-url';
      url.textContent = a.href;
      box.append(a, hint, url);
      bubble.appendChild(box);
    }
    li.appendChild(bubble);

    const choices = Array.isArray(msg.choices) ? msg.choices : [];
    if (choices.length > 0) {
      // A new set of options makes the older ones stale.
      for (const g of els.messages.querySelectorAll('.choices')) disableChoices(g);
      const group = document.createElement('div');
      group.className = 'choices';
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', t('choices'));
      for (const c of choices) {
        if (!c || typeof c.id !== 'string' || typeof c.label !== 'string') continue;
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'btn btn-choice';
        b.dataset.choice = c.id;
        b.textContent = c.label;
        b.addEventListener('click', () => onChoice(group, b, c));
        group.appendChild(b);
      }
      li.appendChild(group);
    }
    els.messages.appendChild(li);
    setLocationHighlight(msg.request_location === true);
    if (msg.request_location === true) setActivity(t('locationRequested'));
    else setActivity('');
    reveal(li, follow);
    return li;
  }

  function markChosen(group, button) {
    disableChoices(group);
    button.classList.add('chosen');
    button.setAttribute('aria-pressed', 'true');
  }

  function onChoice(group, button, choice) {
    if (group.dataset.used === '1') return;
    markChosen(group, button);
    const m = addUserText(choice.label);
    els.input.focus();
    postSend({ choice: choice.id, label: choice.label }).then((ok) => {
      if (!ok) {
        markFailed(m);
        // Let the citizen try again.
        group.dataset.used = '';
        for (const b of group.querySelectorAll('button')) b.disabled = false;
        button.classList.remove('chosen');
        button.removeAttribute('aria-pressed');
      }
    });
  }

  // ---- Notices -----------------------------------------------------------------------------

  function showNotice(text) {
    els.notice.textContent = text;
    els.notice.hidden = !text;
  }
  function setActivity(text) {
    els.activity.textContent = text;
    els.activity.classList.toggle('busy', !!text);
  }

  // ---- Sending -----------------------------------------------------------------------------

  async function readError(res) {
    try {
      const body = await res.json();
      if (body && typeof body.message === 'string' && body.message) return body.message;
    } catch (e) { /* not JSON */ }
    if (res.status === 403) return t('sessionExpired');
    return t('genericError');
  }

  async function post(path, body, contentType) {
    let res;
    try {
      res = await fetch(path, {
        method: 'POST',
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { 'Content-Type': contentType, 'X-CSRF-Token': csrfToken },
        body,
      });
    } catch (e) {
      return { ok: false, message: t('networkError') };
    }
    if (res.ok) return { ok: true };
    return { ok: false, message: await readError(res) };
  }

  // Returns true when the server accepted the message; shows the server's message otherwise.
  async function postSend(payload) {
    const r = await post('/chat/api/send', JSON.stringify(payload), 'application/json');
    if (r.ok) showNotice('');
    else showNotice(r.message);
    return r.ok;
  }

  function charCount(s) {
    return Array.from(s).length;  // code points, like the server
  }

  function updateCharHint() {
    const n = charCount(els.input.value);
    const left = maxMessageChars - n;
    if (left < 0) {
      els.charHint.textContent = t('tooLong', { length: n, max: maxMessageChars });
      els.charHint.hidden = false;
      els.charHint.classList.add('over');
    } else if (left <= Math.min(100, Math.floor(maxMessageChars / 5))) {
      els.charHint.textContent = t('charsLeft', { n: left });
      els.charHint.hidden = false;
      els.charHint.classList.remove('over');
    } else {
      els.charHint.hidden = true;
      els.charHint.classList.remove('over');
    }
  }
  els.input.addEventListener('input', updateCharHint);

  els.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = els.input.value.trim();
    if (!text) {
      showNotice(t('empty'));
      els.input.focus();
      return;
    }
    const n = charCount(text);
    if (n > maxMessageChars) {
      updateCharHint();  // the hint under the field says how long is too long
      els.input.focus();
      return;
    }
    els.input.value = '';
    updateCharHint();
    els.input.focus();
    const m = addUserText(text);
    postSend({ text }).then((ok) => {
      if (!ok) {
        markFailed(m);
        if (!els.input.value) els.input.value = text;  // nothing lost: the text is back in the field
        updateCharHint();
      }
    });
  });

  // ---- Photo -------------------------------------------------------------------------------

  const EXT_TYPES = { heic: 'image/heic', heif: 'image/heif', jpg: 'image/jpeg', jpeg: 'image/jpeg',
    png: 'image/png', webp: 'image/webp' };

  function fileType(file) {
    if (file.type) return file.type;
    const ext = (file.name.split('.').pop() || '').toLowerCase();
    return EXT_TYPES[ext] || '';
  }

  function mb(bytes) {
    return (bytes / (1024 * 1024)).toLocaleString(lang === 'en' ? 'en-GB' : 'de-DE', { maximumFractionDigits: 1 });
  }

  // A phone photo (5–8 MB, 4000×3000, with GPS in its EXIF) is redrawn on a canvas at the
  // server's long edge before upload: the upload is small, and the canvas carries no metadata
  // (the server still cleans what arrives). What the browser cannot decode (HEIC in most
  // browsers) goes as it is, and the server answers with the reason.
  function decodeImage(file) {
    if (typeof createImageBitmap === 'function') {
      return createImageBitmap(file, { imageOrientation: 'from-image' }).catch(() => null);
    }
    return new Promise((resolve) => {
      const url = URL.createObjectURL(file);
      const im = new Image();
      im.onload = () => { URL.revokeObjectURL(url); resolve(im); };
      im.onerror = () => { URL.revokeObjectURL(url); resolve(null); };
      im.src = url;
    });
  }

  async function scaledPhoto(file, type) {
    const source = await decodeImage(file);
    if (!source) return { blob: file, type };
    const w = source.width;
    const h = source.height;
    const scale = Math.min(1, photoLongEdge / Math.max(w, h, 1));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(w * scale));
    canvas.height = Math.max(1, Math.round(h * scale));
    canvas.getContext('2d').drawImage(source, 0, 0, canvas.width, canvas.height);
    if (typeof source.close === 'function') source.close();
    const keepPng = type === 'image/png';
    const outType = keepPng ? 'image/png' : 'image/jpeg';
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, outType, 0.85));
    return blob ? { blob, type: outType } : { blob: file, type };
  }

  // A photo bubble's image; what the browser cannot show (HEIC, a photo erased since) gets a
  // caption instead of a broken image.
  function photoPreview(m, src) {
    const img = document.createElement('img');
    img.className = 'thumb';
    img.alt = t('photoSent');
    img.addEventListener('error', () => {
      if (!img.isConnected) return;
      img.remove();
      const p = document.createElement('p');
      p.className = 'text';
      p.textContent = t('photoNoPreview');
      m.bubble.appendChild(p);
    });
    img.src = src;
    return img;
  }

  els.photo.addEventListener('change', async () => {
    const file = els.photo.files && els.photo.files[0];
    els.photo.value = '';  // the same file can be chosen again
    if (!file) return;
    const type = fileType(file);
    if (!type.startsWith('image/')) {
      showNotice(t('photoType'));
      return;
    }
    const upload = await scaledPhoto(file, type);
    if (upload.blob.size > maxUploadBytes) {
      showNotice(t('photoTooBig', { size: mb(upload.blob.size), max: mb(maxUploadBytes) }));
      return;
    }
    showNotice('');
    const m = addUserBubble();
    m.li.classList.add('photo', 'pending');
    const blobUrl = URL.createObjectURL(file);
    const img = photoPreview(m, blobUrl);
    const state = document.createElement('p');
    state.className = 'upload-state';
    state.textContent = t('uploading');
    m.bubble.append(img, state);
    m.li.setAttribute('aria-busy', 'true');
    els.photoLabel.classList.add('busy');
    setActivity(t('uploading'));

    const r = await post('/chat/api/photo', upload.blob, upload.type);
    els.photoLabel.classList.remove('busy');
    m.li.removeAttribute('aria-busy');
    m.li.classList.remove('pending');
    state.remove();
    setActivity('');
    if (r.ok) {
      showNotice('');
    } else {
      URL.revokeObjectURL(blobUrl);
      for (const el of m.bubble.querySelectorAll('img, .text')) el.remove();
      markFailed(m);  // the reason is in the notice above the input
      showNotice(r.message);
    }
    reveal(m.li, true);
  });

  // ---- Location ----------------------------------------------------------------------------

  function addLocationBubble(accuracy) {
    const label = Number.isFinite(accuracy) && accuracy > 0
      ? t('locationAccuracy', { m: Math.max(1, Math.round(accuracy)) })
      : t('locationSent');
    const m = addUserText('📍 ' + label);
    m.li.classList.add('location');
    return m;
  }

  let locating = false;
  els.location.addEventListener('click', () => {
    if (locating) return;
    if (!('geolocation' in navigator)) {
      showNotice(t('locationUnavailable'));
      els.input.focus();
      return;
    }
    locating = true;
    els.location.setAttribute('aria-busy', 'true');
    setActivity(t('locating'));
    navigator.geolocation.getCurrentPosition(
      async (pos) => {
        locating = false;
        els.location.removeAttribute('aria-busy');
        setActivity('');
        const c = pos.coords;
        const payload = { lat: c.latitude, lon: c.longitude };
        if (Number.isFinite(c.accuracy)) payload.accuracy = Math.round(c.accuracy * 10) / 10;
        const m = addLocationBubble(c.accuracy);
        setLocationHighlight(false);
        const ok = await postSend(payload);
        if (!ok) markFailed(m);
        els.input.focus();
      },
      (err) => {
        locating = false;
        els.location.removeAttribute('aria-busy');
        setActivity('');
        showNotice(err && err.code === 1 ? t('locationDenied') : t('locationUnavailable'));
        els.input.focus();
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 },
    );
  });

  // ---- Receiving: long poll ----------------------------------------------------------------

  let after = 0;
  let stopped = false;

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  async function pollLoop() {
    let backoff = 0;
    while (!stopped) {
      let res;
      const ctrl = new AbortController();
      const timer = setTimeout(() => ctrl.abort(), 40000);
      try {
        res = await fetch('/chat/api/messages?after=' + encodeURIComponent(String(after)), {
          credentials: 'same-origin',
          cache: 'no-store',
          headers: { Accept: 'application/json' },
          signal: ctrl.signal,
        });
      } catch (e) {
        res = null;
      } finally {
        clearTimeout(timer);
      }
      if (res && res.ok) {
        let body = null;
        try {
          body = await res.json();
        } catch (e) { /* treated as a failed poll below */ }
        if (body && Array.isArray(body.messages)) {
          backoff = 0;
          if (els.activity.dataset.offline) {
            delete els.activity.dataset.offline;
            setActivity('');
          }
          for (const msg of body.messages) renderBotMessage(msg);
          const newest = Number(body.last);
          if (Number.isFinite(newest) && newest > after) after = newest;
          // The server asks busy clients to wait instead of holding a connection open.
          const retry = Number(body.retry_ms);
          if (body.messages.length === 0 && Number.isFinite(retry) && retry > 0) {
            await sleep(Math.min(retry, 10000));
          }
          continue;
        }
      }
      if (res && (res.status === 401 || res.status === 403)) {
        showNotice(t('sessionExpired'));
        stopped = true;
        return;
      }
      // Network error, 429 or 5xx: 1 s, 2 s, 4 s, 8 s, then every 10 s.
      backoff = backoff === 0 ? 1000 : Math.min(backoff * 2, 10000);
      if (!res) {
        els.activity.dataset.offline = '1';
        setActivity(t('reconnecting', { s: Math.round(backoff / 1000) }));
      }
      await sleep(backoff);
    }
  }

  // ---- Reload: the whole conversation -------------------------------------------------------

  // The server keeps both sides for the session: the bot's messages and what the citizen typed,
  // picked, sent as a photo or location. Choices already answered come back disabled, with the
  // one picked marked.
  function restoreEntry(entry) {
    if (typeof entry !== 'object' || entry === null) return;
    if (entry.from !== 'citizen') {
      const li = renderBotMessage(entry);
      const group = li && li.querySelector('.choices');
      if (group && typeof entry.picked === 'string') {
        const button = Array.from(group.querySelectorAll('button')).find((b) => b.dataset.choice === entry.picked);
        if (button) markChosen(group, button);
        else disableChoices(group);
      }
      return;
    }
    if (typeof entry.photo === 'string' && entry.photo.startsWith('/chat/api/photo/')) {
      const m = addUserBubble();
      m.li.classList.add('photo');
      m.bubble.appendChild(photoPreview(m, entry.photo));
    } else if (entry.location === true) {
      addLocationBubble(Number(entry.accuracy));
    } else if (typeof entry.text === 'string') {
      addUserText(entry.text);
    }
  }

  async function restore() {
    let body = null;
    try {
      const res = await fetch('/chat/api/transcript', {
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { Accept: 'application/json' },
      });
      if (res.ok) body = await res.json();
    } catch (e) { /* the poll below fetches the bot's side */ }
    if (!body || !Array.isArray(body.entries)) return;
    for (const entry of body.entries) restoreEntry(entry);
    const newest = Number(body.last);
    if (Number.isFinite(newest) && newest > after) after = newest;
    els.messages.scrollTop = els.messages.scrollHeight;
  }

  applyLanguage();
  restore().then(pollLoop);
})();
