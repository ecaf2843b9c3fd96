// The local web chat. Replies arrive as the bot's restricted HTML (b, i, u, s, code, pre and
// links); they are rebuilt here from elements and text nodes, never assigned as HTML, so a
// mistake elsewhere cannot turn a message into markup.
const log = document.getElementById('log');
const TAG = /<(\/?)(b|i|u|s|code|pre|a)(?:\s+href="([^"]*)")?\s*>/gi;
const ENTITIES = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'"};

function unescapeEntities(text) {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    const found = ENTITIES[name.toLowerCase()];
    return found === undefined ? whole : found;
  });
}

function safeUrl(url) {
  return /^https?:\/\//i.test(url) ? url : null;
}

// Appends the restricted HTML `html` to `parent` as nodes; anything else stays text.
function appendMarkup(parent, html) {
  const stack = [parent];
  let last = 0;
  const text = (s) => { if (s) stack[stack.length - 1].appendChild(document.createTextNode(unescapeEntities(s))); };
  for (const match of html.matchAll(TAG)) {
    text(html.slice(last, match.index));
    last = match.index + match[0].length;
    const [, closing, rawName, href] = match;
    const name = rawName.toLowerCase();
    if (closing) {
      const top = stack[stack.length - 1];
      if (stack.length > 1 && top.tagName.toLowerCase() === name) stack.pop();
      continue;
    }
    const el = document.createElement(name);
    if (name === 'a') {
      const url = href === undefined ? null : safeUrl(unescapeEntities(href));
      if (url) { el.href = url; el.target = '_blank'; el.rel = 'noopener noreferrer'; }
    }
    stack[stack.length - 1].appendChild(el);
    stack.push(el);
  }
  text(html.slice(last));
}

// The phone number field of the report's contact step: what a "share my number" button is on a phone.
function phoneField(field) {
  const form = document.createElement('form'); form.className = 'phone';
  const input = document.createElement('input');
  input.type = 'tel'; input.name = 'phone'; input.autocomplete = 'tel'; input.inputMode = 'tel';
  input.placeholder = '0912 345 678'; input.maxLength = 20; input.required = true;
  input.setAttribute('aria-label', 'Số điện thoại của bạn');
  const button = document.createElement('button'); button.type = 'submit'; button.className = 'opt';
  button.textContent = field.label;
  form.appendChild(input); form.appendChild(button);
  form.onsubmit = (e) => {
    e.preventDefault();
    const v = input.value.trim();
    if (!v) return;
    form.remove(); send(v, null, v);
  };
  return form;
}

function add(cls, content, buttons, field) {
  const div = document.createElement('div');
  div.className = 'msg ' + cls;
  if (cls === 'me') { div.textContent = content; } else { appendMarkup(div, content || ''); }
  if (field) div.appendChild(phoneField(field));
  if (buttons && buttons.length) {
    const box = document.createElement('div'); box.className = 'buttons';
    for (const row of buttons) {
      const r = document.createElement('div'); r.className = 'row';
      for (const b of row) {
        const el = document.createElement('button'); el.className = 'opt'; el.type = 'button';
        el.textContent = b.label;
        const url = b.url ? safeUrl(b.url) : null;
        el.onclick = () => url ? window.open(url, '_blank', 'noopener') : send('', b.payload, b.label);
        r.appendChild(el);
      }
      box.appendChild(r);
    }
    div.appendChild(box);
  }
  log.appendChild(div);
  window.scrollTo(0, document.body.scrollHeight);
}

async function send(text, payload, shown) {
  if (shown) add('me', shown);
  try {
    const res = await fetch('/api/chat', {method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({text: text, payload: payload || null})});
    if (res.status === 422 || res.status === 413) { add('bot', 'Tin nhắn quá dài. Bạn gửi phần chính (tối đa 100.000 ký tự) nhé.'); return; }
    if (!res.ok) { add('bot', 'Máy chủ đang bận. Bạn thử lại sau ít phút nhé.'); return; }
    const data = await res.json();
    for (const m of data.messages || []) add('bot', m.html, m.buttons, m.phone_field);
  } catch (e) { add('bot', 'Mất kết nối tới máy chủ. Bạn thử lại nhé.'); }
}

document.getElementById('file').onchange = async (e) => {
  const file = e.target.files[0]; e.target.value = '';
  if (!file) return;
  add('me', '📎 ' + file.name);
  const form = new FormData(); form.append('file', file);
  try {
    const res = await fetch('/api/chat/upload', {method: 'POST', body: form});
    if (res.status === 413) { add('bot', 'Tệp quá lớn. Bạn gửi tệp nhỏ hơn nhé.'); return; }
    const data = await res.json();
    for (const m of data.messages || []) add('bot', m.html, m.buttons, m.phone_field);
  } catch (err) { add('bot', 'Mất kết nối tới máy chủ. Bạn thử lại nhé.'); }
};
document.getElementById('f').onsubmit = (e) => {
  e.preventDefault();
  const t = document.getElementById('t'); const v = t.value.trim();
  if (!v) return; t.value = ''; send(v, null, v);
};
document.getElementById('t').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); document.getElementById('f').requestSubmit(); }
});
setInterval(async () => {
  try { const r = await fetch('/api/chat/updates'); const d = await r.json();
    for (const m of d.messages || []) add('bot', m.html, m.buttons, m.phone_field); } catch (e) {}
}, 5000);
send('', 'start');
