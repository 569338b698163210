// accord's dashboard: a client of the node's JSON API (openapi.json). Everything shown comes
// from the API and is written as text (textContent), never as HTML. Pages are routed by the
// address's fragment (#/overview, #/record, …) so that each can be linked and reloaded.
// Live: one server-sent event stream (/api/v1/events) updates the header, the alert banner
// and the page in view.
'use strict';

import { chart, csvOf, svgOf } from './chart.js';
import { verifyProof } from './verify.js';

// ---------------------------------------------------------------- messages (en, ru)
let messages = { en: {}, ru: {} };
let lang = 'en';
/** The message `key` in the page's language, with {name} replaced from `vars`. */
export function t(key, vars = {}) {
  const m = messages[lang][key] ?? messages.en[key] ?? key;
  return m.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ''));
}
function translateStatic() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-t]')) { el.textContent = t(el.dataset.t); }
  $('nav').setAttribute('aria-label', t('nav.label'));
}

// ---------------------------------------------------------------- small helpers
const $ = (id) => document.getElementById(id);
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return e;
}
function table(headers, rows, opts = {}) {
  const thead = el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col', class: h.num ? 'num' : null }, h.text ?? h))));
  const tbody = el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c, i) => {
    if (c instanceof Node) return el('td', { class: headers[i]?.num ? 'num' : null }, c);
    return el('td', { class: headers[i]?.num ? 'num' : null }, c ?? '');
  }))));
  const tab = el('table', { id: opts.id }, opts.caption ? el('caption', { class: 'sr', text: opts.caption }) : null, thead, tbody);
  return el('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': opts.caption ?? headers.map((h) => h.text ?? h).join(', ') }, tab);
}
const num = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString(lang === 'ru' ? 'ru-RU' : 'en-US'));
const signed = (n) => (n > 0 ? '+' : n < 0 ? '−' : '') + num(Math.abs(n));
function badge(cls, text) { return el('span', { class: `badge ${cls}`, text }); }

async function api(path, opts = {}) {
  const r = await fetch(path, { credentials: 'same-origin', ...opts });
  let body = null;
  const type = r.headers.get('content-type') || '';
  if (type.includes('json')) { try { body = await r.json(); } catch (e) { body = null; } } else { body = await r.text(); }
  return { status: r.status, ok: r.ok, body };
}
async function post(path, value, method = 'POST') {
  return api(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
}

// ---------------------------------------------------------------- state
const state = {
  status: null, // /api/v1/status
  role: null, // the signed-in role, or null
  page: 'overview',
  on: null, // the date the overview shows (null: the node's clock)
  record: null, // /public/record
  catalogue: null, // /public/catalogue
  policy: null, // /public/policy
  box: { which: 'outbox', offset: 0, limit: 20 },
  lastSubmitted: null,
};
const clockDate = () => (state.status?.clock || '').slice(0, 10);

function signedIn() { return state.role !== null; }
function partner() { return state.status?.partner?.party || ''; }

// ---------------------------------------------------------------- header, alerts
function renderHeader() {
  const s = state.status;
  if (!s) return;
  $('node-name').textContent = t('node.name', { party: s.party });
  document.title = `accord — ${t('node.name', { party: s.party })}`;
  $('clock').textContent = s.clock;
  $('clock').setAttribute('datetime', s.clock);
  $('who').textContent = signedIn() ? t('signed.as', { role: t('role.' + state.role) }) : '';
  $('signout').hidden = !signedIn();
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === state.page) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}
async function renderAlerts() {
  const s = state.status;
  const b = $('alert-banner');
  if (!s || (!s.frozen && !(s.alerts > 0))) { b.hidden = true; b.replaceChildren(); return; }
  const parts = [];
  if (s.frozen) parts.push(t('alert.fork', { partner: partner() }));
  if (s.alerts > 0) parts.push(t('alert.count', { n: s.alerts }));
  b.replaceChildren(el('span', { id: 'alert-text', text: parts.join(' ') }));
  if (signedIn()) {
    const a = await api('/api/v1/alerts');
    if (a.ok && a.body.alerts.length) {
      const last = a.body.alerts[a.body.alerts.length - 1];
      b.appendChild(el('span', { class: 'alert-last', text: ' ' + t('alert.latest', { kind: last.kind, message: last.message ?? '' }) }));
    }
  }
  b.hidden = false;
}

// ---------------------------------------------------------------- sign in
function signInForm(why) {
  const err = el('p', { id: 'login-error', class: 'error', role: 'alert' });
  const input = el('input', { id: 'token', type: 'password', autocomplete: 'off', placeholder: 'accord_…', 'aria-describedby': 'token-help' });
  const form = el('form', { id: 'login', class: 'stack' },
    el('label', { for: 'token' }, t('signin.token')),
    input,
    el('p', { id: 'token-help', class: 'muted', text: t('signin.help') }),
    el('div', {}, el('button', { id: 'signin-button', type: 'submit', text: t('signin.button') })),
    err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    const r = await post('/api/v1/session', { token: input.value.trim() });
    input.value = '';
    if (!r.ok) { err.textContent = t('signin.refused', { why: r.body?.error ?? r.status }); return; }
    state.role = r.body.role;
    localStorage.setItem(HINT, '1');
    renderHeader();
    route();
    renderAlerts();
  });
  return el('section', { id: 'signin', 'aria-labelledby': 'signin-h' },
    el('h2', { id: 'signin-h', text: t('signin.title') }), why ? el('p', { text: why }) : null, form);
}
// Whether this browser signed in (a hint kept beside the HttpOnly cookie, which scripts cannot
// read): a visitor who never signed in is not asked, so the page makes no refused request.
const HINT = 'accord.signed-in';
async function whoami() {
  if (localStorage.getItem(HINT) !== '1') { state.role = null; return; }
  const r = await api('/api/v1/session');
  state.role = r.ok ? r.body.role : null;
  if (!r.ok) localStorage.removeItem(HINT);
}

// ---------------------------------------------------------------- pages
const pages = {};

// Overview: the treaty's status on a date, the latest figures against the limits, what is
// withheld, this node's exchange, and the way to each other page.
pages.overview = async (main) => {
  const on = state.on || clockDate();
  const [ts, rec] = await Promise.all([api(`/api/v1/treaty/status?on=${on}`), loadRecord()]);
  main.replaceChildren();
  main.appendChild(el('h1', { text: t('overview.title') }));
  const dateInput = el('input', { id: 'on-date', type: 'date', value: on, min: '2009-01-01', max: '2030-12-31' });
  dateInput.addEventListener('change', () => { state.on = dateInput.value || null; route(); });
  main.appendChild(el('form', { class: 'pager', onsubmit: (e) => e.preventDefault() },
    el('label', { for: 'on-date', text: t('overview.on') }), dateInput,
    el('button', { type: 'button', class: 'secondary', text: t('overview.today'), onclick: () => { state.on = null; route(); } })));
  if (!ts.ok) { main.appendChild(el('p', { class: 'error', text: ts.body?.error ?? String(ts.status) })); return; }
  const st = ts.body;
  const phase = st.phase;
  const cards = el('div', { class: 'cards' });
  const endLine = st.in_force ? t('overview.last_day', { date: st.last_day_in_force }) : (phase === 'expired' ? t('overview.expired', { date: st.last_day_in_force }) : '');
  cards.appendChild(el('section', { class: 'card', id: 'treaty-card', 'aria-labelledby': 'tc-h' },
    el('h2', { id: 'tc-h', text: t('overview.treaty') }),
    el('p', { class: 'big', id: 'phase', text: t('phase.' + phase) }),
    el('p', { text: endLine }),
    st.suspended_by?.length ? el('p', { class: 'bad', id: 'suspension', text: t('overview.suspended', { by: st.suspended_by.join(', ') }) }) : null,
    el('p', { class: 'muted', text: t('overview.eif', { date: st.entry_into_force ?? '–' }) })));
  const s = state.status;
  cards.appendChild(el('section', { class: 'card', 'aria-labelledby': 'ex-h' },
    el('h2', { id: 'ex-h', text: t('overview.exchange') }),
    el('p', { id: 'ex-log' }), el('p', { id: 'ex-partner' }), el('p', { id: 'ex-fork' })));
  // What each Party gives and withholds on the date.
  const sides = el('section', { class: 'card wide', 'aria-labelledby': 'sd-h' }, el('h2', { id: 'sd-h', text: t('overview.sides') }));
  sides.appendChild(table([t('col.party'), t('col.data'), t('col.notifications'), t('col.inspections')],
    (st.parties || []).map((p) => [p.party, badge(p.data, t('side.' + p.data)), badge(p.notifications, t('side.' + p.notifications)), badge(p.inspections, t('side.' + p.inspections))]),
    { id: 'sides', caption: t('overview.sides') }));
  cards.appendChild(sides);
  main.appendChild(cards);

  // Latest figures against the limits, as published (public); the record's own, signed in.
  main.appendChild(el('h2', { text: t('overview.latest', { date: on }) }));
  if (rec) main.appendChild(latestFigures(rec, on));
  if (signedIn()) {
    const c = await api(`/api/v1/compliance?on=${on}`);
    if (!c.ok) {
      main.appendChild(el('h3', { text: t('overview.record_rows') }));
      main.appendChild(el('p', { class: 'pending', id: 'record-incomplete', text: t('overview.incomplete', { why: c.body?.error ?? String(c.status) }) }));
    } else if (c.body.rows?.length) {
      const byParty = {};
      for (const r of c.body.rows) { if (r.as_of <= on) byParty[r.party] = r; }
      main.appendChild(el('h3', { text: t('overview.record_rows') }));
      main.appendChild(complianceTable(Object.values(byParty), 'record-latest'));
    }
  }
  main.appendChild(el('h2', { text: t('overview.go') }));
  main.appendChild(el('ul', { class: 'go' },
    el('li', {}, el('a', { href: '#/record', id: 'go-record', text: t('go.record') })),
    el('li', {}, el('a', { href: '#/notifications', id: 'go-live', text: t('go.live') })),
    el('li', {}, el('a', { href: '#/verify', id: 'go-verify', text: t('go.verify') })),
    el('li', {}, el('a', { href: '#/history', text: t('go.history') }))));
};

function latestFigures(rec, on) {
  const rows = [];
  for (const party of [...new Set(rec.series.map((s) => s.party))]) {
    const cells = [party];
    let date = null;
    for (const l of rec.limits) {
      const s = rec.series.find((x) => x.party === party && x.limit === l.name);
      const pts = s.points.filter((p) => p.as_of <= on && p.value !== null);
      const p = pts[pts.length - 1];
      if (!p) { cells.push('–'); continue; }
      date = p.as_of;
      const margin = l.value - p.value;
      const binding = on >= l.binding_from;
      cells.push(el('span', { class: binding && margin < 0 ? 'violation' : '' },
        `${num(p.value)} / ${num(l.value)} (${signed(margin)})`));
    }
    const last = rec.series.find((x) => x.party === party).points.filter((p) => p.as_of <= on).pop();
    cells.push(date ?? '–');
    cells.push(last ? badge(last.basis, t('basis.' + last.basis) + (last.value === null ? ' ' + last.as_of : '')) : '–');
    rows.push(cells);
  }
  return table([t('col.party'), ...rec.limits.map((l) => ({ text: `${limitName(l)} (${l.value})`, num: true })), t('col.as_of'), t('col.basis')], rows,
    { id: 'latest', caption: t('overview.latest', { date: on }) });
}

/** A limit's short name in the page's language (the treaty's title when no message has one). */
function limitName(l) {
  const k = 'limit.' + l.name;
  return messages[lang][k] ?? messages.en[k] ?? l.title;
}

function complianceTable(rows, id) {
  const limits = rows[0]?.limits ?? [];
  return table([t('col.as_of'), t('col.party'), t('col.treaty'), ...limits.map((l) => ({ text: `${limitName(l)} (${l.limit})`, num: true })), t('col.binding'), t('col.basis')],
    rows.map((r) => [r.as_of, r.party, r.treaty_status.replace(/_/g, ' '),
      ...r.limits.map((l) => el('span', { class: l.violation ? 'violation' : '' }, l.value === null ? t('not_declared') : `${num(l.value)} (${signed(l.margin)})`)),
      r.limits.some((l) => l.binding) ? t('yes') : t('no'),
      r.declared_as_of === r.as_of ? t('basis.declared') : (r.declared_as_of ? t('basis.declared_as_of', { date: r.declared_as_of }) : '')]),
    { id, caption: t('overview.record_rows') });
}

async function loadRecord() {
  if (!state.record) {
    const r = await api('/public/record');
    if (r.ok) state.record = r.body;
  }
  return state.record;
}

// Record: both Parties' aggregates against each limit, 2011 to the end.
pages.record = async (main) => {
  const rec = await loadRecord();
  main.replaceChildren(el('h1', { text: t('record.title') }));
  if (!rec) { main.appendChild(el('p', { class: 'error', text: t('error.load') })); return; }
  main.appendChild(el('p', { text: t('record.intro') }));
  main.appendChild(legend());
  const lbl = (k, v) => t(k, v);
  for (const l of rec.limits) {
    const series = rec.series.filter((s) => s.limit === l.name);
    const box = el('section', { class: 'chart', id: `chart-${l.name}`, 'aria-labelledby': `h-${l.name}` });
    box.appendChild(el('h2', { id: `h-${l.name}`, text: `${limitName(l)} — ${t('record.limit', { value: num(l.value) })}` }));
    box.appendChild(el('p', { class: 'muted', text: l.title }));
    const svg = chart({ limit: l, series, milestones: rec.milestones, t: lbl, lang });
    // On a narrow screen the chart keeps a readable width and scrolls sideways.
    box.appendChild(el('div', { class: 'plot', tabindex: '0', role: 'region', 'aria-label': l.title }, svg));
    const tools = el('div', { class: 'chart-tools' },
      el('button', { type: 'button', class: 'secondary', text: t('record.csv'), onclick: () => download(`${l.name}.csv`, 'text/csv', csvOf(l, series)) }),
      el('button', { type: 'button', class: 'secondary', text: t('record.svg'), onclick: () => download(`${l.name}.svg`, 'image/svg+xml', svgOf(svg)) }));
    box.appendChild(tools);
    main.appendChild(box);
  }
  main.appendChild(el('h2', { text: t('record.milestones') }));
  main.appendChild(el('ol', { class: 'milestones', id: 'milestones' }, rec.milestones.map((m) =>
    el('li', {}, `${m.date}${m.precision === 'day' ? '' : ' (' + t('precision.' + m.precision) + ')'} — ${m.title} `,
      m.source ? el('a', { href: m.source, rel: 'noreferrer', text: t('source') }) : null))));
};

function legend() {
  const item = (key, draw) => el('li', {}, draw, ' ', t(key));
  const svgNS = 'http://www.w3.org/2000/svg';
  const mk = (f) => { const s = document.createElementNS(svgNS, 'svg'); s.setAttribute('width', '26'); s.setAttribute('height', '12'); s.setAttribute('aria-hidden', 'true'); f(s); return s; };
  const shape = (s, tag, a) => { const e = document.createElementNS(svgNS, tag); for (const [k, v] of Object.entries(a)) e.setAttribute(k, v); s.appendChild(e); return e; };
  return el('ul', { class: 'legend', 'aria-label': t('record.legend') },
    item('party.US', mk((s) => shape(s, 'line', { x1: 0, y1: 6, x2: 26, y2: 6, stroke: '#1f5fa8', 'stroke-width': 2.5 }))),
    item('party.RU', mk((s) => shape(s, 'line', { x1: 0, y1: 6, x2: 26, y2: 6, stroke: '#a14a00', 'stroke-width': 2.5 }))),
    item('basis.published', mk((s) => shape(s, 'circle', { cx: 13, cy: 6, r: 4, fill: '#1b1b1b' }))),
    item('basis.derived', mk((s) => shape(s, 'circle', { cx: 13, cy: 6, r: 4, fill: '#fff', stroke: '#1b1b1b', 'stroke-width': 1.5 }))),
    item('basis.modelled', mk((s) => { shape(s, 'line', { x1: 0, y1: 6, x2: 26, y2: 6, stroke: '#1b1b1b', 'stroke-dasharray': '3 3' }); shape(s, 'rect', { x: 10, y: 3, width: 6, height: 6, fill: '#fff', stroke: '#1b1b1b' }); })),
    item('basis.withheld', mk((s) => shape(s, 'rect', { x: 0, y: 0, width: 26, height: 12, fill: '#e9e2d6' }))),
    item('basis.unsourced', mk((s) => shape(s, 'text', { x: 9, y: 11, 'font-size': 12, fill: '#1b1b1b' }).textContent = '?')),
    item('record.limit_line', mk((s) => shape(s, 'line', { x1: 0, y1: 6, x2: 26, y2: 6, stroke: '#a40000', 'stroke-dasharray': '6 3', 'stroke-width': 2 }))));
}

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a', { href: url, download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// Notifications: inbox and outbox, paged, with deadline status; compose, validated as one
// types; submit; the partner's acknowledgement appears live.
pages.notifications = async (main) => {
  main.replaceChildren(el('h1', { text: t('notes.title') }));
  if (!signedIn()) { main.appendChild(signInForm(t('signin.needed'))); return; }
  const b = state.box;
  const tabs = el('div', { class: 'tabs', role: 'tablist', 'aria-label': t('notes.boxes') },
    ['outbox', 'inbox'].map((w) => el('button', {
      type: 'button', role: 'tab', id: `tab-${w}`, 'aria-selected': String(b.which === w), 'aria-controls': 'box',
      text: t('notes.' + w, { partner: partner() }),
      onclick: () => { b.which = w; b.offset = 0; route(); },
    })));
  main.appendChild(tabs);
  const panel = el('div', { id: 'box', role: 'tabpanel', 'aria-labelledby': `tab-${b.which}` });
  main.appendChild(panel);
  await renderBox(panel);
  if (state.role === 'operator') main.appendChild(await composeForm());
};

/** Draws the mailbox page in view; returns its items when it is the outbox's newest page. */
async function renderBox(panel) {
  const b = state.box;
  const r = await api(`/api/v1/${b.which}?limit=${b.limit}&offset=${b.offset}`);
  panel.replaceChildren();
  if (!r.ok) { panel.appendChild(el('p', { class: 'error', id: 'box-error', text: t('notes.refused', { why: r.body?.error ?? r.status }) })); return; }
  const { items, total } = r.body;
  const from = total === 0 ? 0 : b.offset + 1;
  const to = Math.min(total, b.offset + items.length);
  panel.appendChild(el('div', { class: 'pager' },
    el('span', { id: 'box-range', text: t('notes.range', { from: num(from), to: num(to), total: num(total) }) }),
    el('span', { id: 'box-total', hidden: true, text: String(total) }),
    el('button', { type: 'button', class: 'secondary', id: 'page-newer', disabled: b.offset === 0, text: t('notes.newer'), onclick: () => { b.offset = Math.max(0, b.offset - b.limit); renderBox(panel); } }),
    el('button', { type: 'button', class: 'secondary', id: 'page-older', disabled: to >= total, text: t('notes.older'), onclick: () => { b.offset += b.limit; renderBox(panel); } })));
  const rows = items.slice().reverse().map((it) => [
    String(it.index), it.id, it.kind, it.date, it.due ?? '–', it.sent ?? '–',
    it.received ?? el('span', { class: 'awaiting', text: t('notes.awaiting') }),
    badge(it.status, t('status.' + it.status)),
  ]);
  panel.appendChild(table([{ text: '#', num: true }, t('col.id'), t('col.kind'), t('col.date'), t('col.due'), t('col.sent'), b.which === 'outbox' ? t('col.acknowledged') : t('col.received'), t('col.status')],
    rows, { id: b.which, caption: t('notes.' + b.which, { partner: partner() }) }));
  return b.which === 'outbox' && b.offset === 0 ? items : null;
}

async function loadCatalogue() {
  if (!state.catalogue) {
    const r = await api('/public/catalogue');
    if (r.ok) state.catalogue = r.body;
  }
  return state.catalogue || [];
}

async function composeForm() {
  const cat = await loadCatalogue();
  const kinds = cat;
  const kind = el('select', { id: 'c-kind' }, kinds.map((k) => el('option', { value: k.kind, text: `${k.kind} — ${k.title}` })));
  const date = el('input', { id: 'c-date', type: 'date', value: clockDate() });
  const id = el('input', { id: 'c-id', type: 'text', placeholder: t('compose.id_auto'), autocomplete: 'off' });
  const body = el('textarea', { id: 'c-body', spellcheck: 'false', 'aria-describedby': 'c-fields' }, '{}');
  const fields = el('p', { id: 'c-fields', class: 'muted' });
  const problem = el('p', { id: 'c-problem', role: 'status', 'aria-live': 'polite' });
  const submit = el('button', { id: 'c-submit', type: 'submit', disabled: true, text: t('compose.submit') });
  const result = el('div', { id: 'c-result', 'aria-live': 'polite' });
  const describe = () => {
    const k = kinds.find((x) => x.kind === kind.value);
    if (!k) { fields.textContent = ''; return; }
    const fs = k.fields.map((f) => `${f.field}${f.required ? ' *' : ''}${f.visibility === 'confidential' ? ' (' + t('confidential') + ')' : ''}`);
    fields.textContent = t('compose.fields', { fields: fs.join(', ') || '–', section: k.section });
  };
  let composed = null;
  let seq = 0;
  const check = async () => {
    const mine = ++seq;
    composed = null;
    submit.disabled = true;
    let b;
    try { b = JSON.parse(body.value || '{}'); } catch (e) {
      problem.className = 'error';
      problem.textContent = t('compose.not_json', { why: e.message });
      return;
    }
    const req = { kind: kind.value, date: date.value, body: b };
    if (id.value.trim()) req.id = id.value.trim();
    const r = await post('/api/v1/compose', req);
    if (mine !== seq) return; // a later keystroke is being checked
    if (!r.ok) { problem.className = 'error'; problem.textContent = r.body?.error ?? String(r.status); return; }
    if (r.body.valid) {
      composed = r.body.notification;
      problem.className = 'ok';
      problem.textContent = t('compose.valid', { id: composed.id });
      submit.disabled = false;
    } else {
      problem.className = 'error';
      problem.textContent = r.body.problem;
    }
  };
  let timer = null;
  const later = () => { clearTimeout(timer); timer = setTimeout(check, 250); };
  for (const e of [kind, date, id, body]) { e.addEventListener('input', later); e.addEventListener('change', later); }
  kind.addEventListener('change', describe);
  const form = el('form', { id: 'compose', class: 'stack', novalidate: true },
    el('label', { for: 'c-kind' }, t('compose.kind')), kind,
    el('label', { for: 'c-date' }, t('compose.date')), date,
    el('label', { for: 'c-id' }, t('compose.id')), id,
    el('label', { for: 'c-body' }, t('compose.body')), body, fields, problem,
    el('div', {}, submit), result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!composed) return;
    submit.disabled = true;
    const r = await post('/api/v1/notifications', composed);
    if (!r.ok) { result.replaceChildren(el('p', { class: 'error', text: r.body?.error ?? String(r.status) })); return; }
    const rc = r.body.receipts[0];
    state.lastSubmitted = { id: composed.id, index: rc.index };
    result.replaceChildren(el('p', { id: 'c-receipt' }, t('compose.logged', { id: composed.id, index: rc.index }), ' ',
      el('span', { id: 'c-ack', class: 'awaiting', text: t('compose.waiting', { partner: partner() }) })));
    Object.assign(state.box, { which: 'outbox', offset: 0 });
    refreshLive();
  });
  describe();
  check();
  return el('section', { 'aria-labelledby': 'compose-h' }, el('h2', { id: 'compose-h', text: t('compose.title') }), form);
}

// Whether the last submitted notification is acknowledged, shown where the compose form is.
async function checkAcknowledged(newest) {
  const ls = state.lastSubmitted;
  const ack = $('c-ack');
  if (!ls || !ack || ls.acknowledged) return;
  // The outbox's newest page, when the mailbox in view has just fetched it.
  let items = newest;
  if (!items) {
    const r = await api(`/api/v1/outbox?limit=20`);
    items = r.ok ? r.body.items : [];
  }
  const it = items.find((x) => x.id === ls.id);
  if (it && it.received) {
    ls.acknowledged = true;
    ack.className = 'ok';
    ack.textContent = t('compose.acknowledged', { partner: partner(), at: it.received, status: t('status.' + it.status) });
  }
}

// Inspections and the Commission: quotas per treaty year, each inspection's steps, reports
// in English and Russian side by side, discrepancies and what they opened.
pages.inspections = async (main) => {
  main.replaceChildren(el('h1', { text: t('insp.title') }));
  if (!signedIn()) { main.appendChild(signInForm(t('signin.needed'))); return; }
  redrawn = { at: Date.now(), sizes: `${state.status?.size}/${state.status?.partner?.mirrored}` };
  const r = await api(`/api/v1/inspections?on=${clockDate()}`);
  if (!r.ok) { main.appendChild(el('p', { class: 'error', text: r.body?.error ?? String(r.status) })); return; }
  const d = r.body;
  main.appendChild(el('h2', { text: t('insp.quotas', { year: d.treaty_year }) }));
  main.appendChild(table([t('col.party'), t('col.type'), { text: t('col.used'), num: true }, { text: t('col.quota'), num: true }],
    d.quotas.map((q) => [q.party, t('insp.' + q.type), String(q.used), String(q.quota)]), { id: 'quotas', caption: t('insp.quotas', { year: d.treaty_year }) }));
  // Used per treaty year, from every inspection of the record.
  const per = {};
  for (const i of d.inspections) {
    const k = `${i.treaty_year}|${i.inspecting}|${i.type}`;
    per[k] = (per[k] || 0) + 1;
  }
  main.appendChild(el('h3', { text: t('insp.per_year') }));
  main.appendChild(table([{ text: t('col.treaty_year'), num: true }, t('col.inspecting'), t('col.type'), { text: t('col.used'), num: true }],
    Object.entries(per).sort().map(([k, n]) => { const [y, p, ty] = k.split('|'); return [y, p, t('insp.' + ty), String(n)]; }), { id: 'per-year', caption: t('insp.per_year') }));
  main.appendChild(el('h2', { text: t('insp.list') }));
  if (!d.inspections.length) main.appendChild(el('p', { text: t('insp.none') }));
  for (const i of d.inspections) {
    const steps = el('ol', { class: 'steps' },
      el('li', {}, t('insp.step.notified', { date: i.notified, by: i.inspecting, of: i.inspected })),
      i.site ? el('li', {}, t('insp.step.designated', { site: i.site, missile: i.missile ?? '–', n: i.declared?.items?.length ?? 0 })) : null,
      i.found ? el('li', {}, t('insp.step.found', { n: i.found.items?.length ?? 0 })) : null,
      i.report_sha256 ? el('li', {}, t('insp.step.report', { sha: i.report_sha256.slice(0, 16) + '…' })) : null,
      i.signatures?.length ? el('li', {}, t('insp.step.signed', { by: i.signatures.map(([p, d]) => `${p} (${d})`).join(', ') })) : null,
      i.refused ? el('li', { class: 'bad' }, t('insp.step.refused', { date: i.refused[0], reason: i.refused[1] })) : null,
      i.ended ? el('li', {}, t('insp.step.ended', { date: i.ended })) : null);
    const sec = el('section', { class: 'card', id: `insp-${i.id}` },
      el('h3', { text: `${i.id} — ${t('insp.' + i.type)} · ${t('insp.status', { status: i.status })}` }), steps);
    if (i.report_sha256) {
      const btn = el('button', { type: 'button', class: 'secondary', text: t('insp.show_report') });
      btn.addEventListener('click', async () => {
        const [en, ru] = await Promise.all([api(`/api/v1/inspections/${encodeURIComponent(i.id)}/report?lang=en`), api(`/api/v1/inspections/${encodeURIComponent(i.id)}/report?lang=ru`)]);
        const text = (x) => (typeof x.body === 'string' ? x.body : JSON.stringify(x.body, null, 1));
        btn.replaceWith(el('div', { class: 'side' },
          el('div', { lang: 'en' }, el('h4', { text: 'English' }), el('pre', { text: text(en) })),
          el('div', { lang: 'ru' }, el('h4', { text: 'Русский' }), el('pre', { text: text(ru) }))));
      });
      sec.appendChild(btn);
    }
    main.appendChild(sec);
  }
  main.appendChild(el('h2', { text: t('insp.findings') }));
  const findings = [...(d.findings || []), ...(d.problems || [])];
  if (!findings.length) main.appendChild(el('p', { id: 'no-findings', text: t('insp.no_findings') }));
  else {
    main.appendChild(el('ul', { id: 'findings' }, findings.map((f) => el('li', {
      text: typeof f === 'string' ? f : findingText(f),
    }))));
  }
  if (d.exemptions?.length) {
    main.appendChild(el('h2', { text: t('insp.exemptions') }));
    main.appendChild(el('ul', {}, d.exemptions.map((x) => el('li', { text: `${x.from} — ${x.party}: ${x.reason}` }))));
  }
};

// Negotiation and history: the real timeline with each date's precision and source; the
// proposals and agreements of the record (signed in).
pages.history = async (main) => {
  const r = await api('/api/v1/timeline');
  main.replaceChildren(el('h1', { text: t('history.title') }));
  if (!r.ok) { main.appendChild(el('p', { class: 'error', text: r.body?.error ?? String(r.status) })); return; }
  const events = r.body.events;
  const kinds = [...new Set(events.map((e) => e.kind))].sort();
  const filter = el('select', { id: 'h-kind' }, el('option', { value: '', text: t('history.all') }), kinds.map((k) => el('option', { value: k, text: k.replace(/_/g, ' ') })));
  const list = el('ol', { class: 'timeline', id: 'timeline' });
  const draw = () => {
    list.replaceChildren(...events.filter((e) => !filter.value || e.kind === filter.value).map((e) => el('li', {},
      el('span', { class: 'date', text: e.date }), ' ',
      e.precision !== 'day' ? badge('modelled', t('precision.' + e.precision)) : null, ' ',
      el('strong', { text: e.title }), ' ', badge('', e.kind.replace(/_/g, ' ')),
      e.provenance?.status === 'unconfirmed' ? badge('withheld', t('unconfirmed')) : null,
      el('div', { text: e.text ?? '' }),
      e.source_url ? el('a', { href: e.source_url, rel: 'noreferrer', text: t('source') + ': ' + (e.provenance?.source ?? '') }) : null)));
  };
  filter.addEventListener('change', draw);
  main.appendChild(el('div', { class: 'pager' }, el('label', { for: 'h-kind', text: t('history.kind') }), filter));
  draw();
  main.appendChild(list);
  if (!signedIn()) { main.appendChild(el('p', { class: 'muted', text: t('history.signin') })); return; }
  const p = await api(`/api/v1/proposals?on=${clockDate()}`);
  if (!p.ok) return;
  main.appendChild(el('h2', { text: t('history.proposals') }));
  for (const x of p.body.proposals) {
    const pr = x.proposal;
    const sec = el('section', { class: 'card', id: `prop-${pr.id}` },
      el('h3', { text: `${pr.date} · ${pr.by}: ${pr.title}` }),
      el('p', {}, badge(x.status, t('proposal.' + x.status)), ' ', x.countered_by ? t('proposal.countered', { by: x.countered_by }) : ''),
      el('ul', {}, (pr.terms || []).map((term) => el('li', { text: Object.entries(term).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`).join('; ') }))));
    const btn = el('button', { type: 'button', class: 'secondary', text: t('proposal.evaluate') });
    btn.addEventListener('click', async () => {
      const ev = await api(`/api/v1/proposals/${encodeURIComponent(pr.id)}/evaluation?on=${pr.date}`);
      btn.replaceWith(ev.ok ? evaluation(ev.body.evaluation) : el('p', { class: 'error', text: ev.body?.error ?? String(ev.status) }));
    });
    sec.appendChild(btn);
    main.appendChild(sec);
  }
  main.appendChild(el('h2', { text: t('history.agreements') }));
  main.appendChild(el('ul', { id: 'agreements' }, p.body.agreements.map((a) => el('li', { text: `${a.date}: ${a.proposal} (${a.proposed_by} → ${a.accepted_by}) — ${(a.effects || []).join('; ')}` }))));
};

/** A finding of the record (`ledger::compliance::Finding`), as a sentence. */
function findingText(f) {
  switch (f.type) {
    case 'inspection_discrepancy':
      return t('finding.inspection', { date: f.date, party: f.party, inspection: f.inspection, what: f.what, declared: num(f.declared), observed: num(f.observed), agenda: f.agenda_item });
    case 'inspection_refused':
      return t('finding.refused', { date: f.date, party: f.party, inspection: f.inspection, reason: f.reason });
    default:
      return [f.date ?? f.as_of, f.party, f.type?.replace(/_/g, ' '), f.id, f.kind].filter(Boolean).join(' · ');
  }
}

/** What a proposal would require of each Party, term by term (`accord proposal evaluate`). */
function evaluation(e) {
  const out = el('div', { class: 'evaluation' });
  for (const term of e.terms) {
    let head = term.term.replace(/_/g, ' ');
    if (term.term === 'extend') head = t('proposal.extend', { years: term.years, now: term.last_day_now, then: term.last_day_proposed });
    if (term.term === 'freeze_warheads') head = t('proposal.freeze', { baseline: term.baseline, kind: term.declaration }) + (term.political ? ' ' + t('proposal.political') : '');
    if (term.term === 'change_limit') head = t('proposal.limit', { limit: term.limit, current: num(term.current), value: num(term.value) });
    out.appendChild(el('h4', { text: head }));
    if (term.parties?.length) {
      out.appendChild(table([t('col.party'), t('col.declared'), { text: t('col.value'), num: true }, t('col.as_of'), { text: t('col.margin'), num: true }, t('col.requires')],
        term.parties.map((d) => [d.party, d.status.replace(/_/g, ' '), d.value === undefined ? '–' : num(d.value), d.as_of ?? '–', d.margin === undefined ? '–' : signed(d.margin), d.requires]),
        { caption: head }));
    }
  }
  out.appendChild(el('p', { text: t('proposal.last_day', { date: e.last_day_in_force }) }));
  if (e.lapses_at_expiry?.length) out.appendChild(el('p', { text: t('proposal.lapses', { what: e.lapses_at_expiry.join('; ') }) }));
  if (e.unconfirmed?.length) out.appendChild(el('p', { class: 'muted', text: t('proposal.unconfirmed', { n: e.unconfirmed.length }) }));
  return out;
}

// Verification: the latest checkpoint with its cosigners; each public release's inclusion
// proof checked here, by accord's own code compiled to WebAssembly, against the policy.
pages.verify = async (main) => {
  const [cp, pol, rel] = await Promise.all([api('/log/checkpoint'), api('/public/policy'), api('/public/releases')]);
  main.replaceChildren(el('h1', { text: t('verify.title') }));
  main.appendChild(el('p', { text: t('verify.intro') }));
  state.policy = typeof pol.body === 'string' ? pol.body : '';
  const names = policyNames(state.policy);
  if (cp.ok) {
    const text = String(cp.body);
    const [body, sigs] = text.split('\n\n');
    const lines = body.split('\n');
    main.appendChild(el('h2', { text: t('verify.checkpoint') }));
    main.appendChild(el('p', { id: 'cp-summary', text: t('verify.cp_summary', { origin: lines[0], size: num(lines[1]) }) }));
    const cos = (sigs || '').split('\n').filter((l) => l.startsWith('— ')).map((l) => {
      const name = l.slice(2).split(' ')[0];
      return [name, names[name] ?? t('verify.unknown_signer')];
    });
    main.appendChild(table([t('col.signer'), t('col.role')], cos, { id: 'cosigners', caption: t('verify.cosigners') }));
    main.appendChild(el('details', {}, el('summary', { text: t('verify.note') }), el('pre', { class: 'note', id: 'cp-note', text })));
  }
  main.appendChild(el('details', {}, el('summary', { text: t('verify.policy') }), el('pre', { class: 'note', id: 'policy', text: state.policy })));
  main.appendChild(el('h2', { text: t('verify.releases') }));
  const out = el('div', { id: 'verify-result', 'aria-live': 'polite' });
  main.appendChild(out);
  const list = rel.ok ? rel.body.releases.filter((r) => r.final) : [];
  if (!list.length) { main.appendChild(el('p', { text: t('verify.no_releases') })); }
  const latest = list[list.length - 1];
  if (latest) {
    main.appendChild(el('p', {},
      el('button', { type: 'button', id: 'verify-latest', text: t('verify.latest', { index: latest.index }), onclick: () => check(latest.index, false, out) }), ' ',
      el('button', { type: 'button', class: 'secondary', id: 'verify-tampered', text: t('verify.tampered'), onclick: () => check(latest.index, true, out) })));
  }
  main.appendChild(table([{ text: '#', num: true }, t('col.party'), t('col.kind'), t('col.date'), t('col.figures'), ''],
    list.slice().reverse().slice(0, 60).map((r) => [String(r.index), r.release.party, r.release.kind, r.release.date,
      Object.entries(r.release.body?.totals ?? {}).map(([k, v]) => `${k} ${v}`).join(', '),
      el('button', { type: 'button', class: 'secondary', 'aria-label': t('verify.one', { index: r.index }), text: t('verify.button'), onclick: () => check(r.index, false, out) })]),
    { id: 'releases', caption: t('verify.releases') }));
  // Any proof (accord log prove, or a file a Party sent), pasted, under this node's policy or
  // one pasted beside it (another log's, or keys taken from elsewhere).
  const ta = el('textarea', { id: 'paste-proof', spellcheck: 'false' });
  const pa = el('textarea', { id: 'paste-policy', spellcheck: 'false' }, state.policy);
  const pasted = el('div', { id: 'paste-result', 'aria-live': 'polite' });
  main.appendChild(el('h2', { text: t('verify.paste') }));
  main.appendChild(el('form', { class: 'stack', onsubmit: async (e) => { e.preventDefault(); show(pasted, await verifyProof(ta.value, pa.value)); } },
    el('label', { for: 'paste-proof', text: t('verify.paste_label') }), ta,
    el('label', { for: 'paste-policy', text: t('verify.paste_policy') }), pa,
    el('div', {}, el('button', { type: 'submit', id: 'paste-verify', text: t('verify.button') })), pasted));
};

function policyNames(policy) {
  const names = {};
  for (const line of policy.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'log' && f[1]) names[f[1].split('+')[0]] = t('verify.role_log');
    if (f[0] === 'witness' && f[2]) names[f[2].split('+')[0]] = t('verify.role_witness', { name: f[1] });
  }
  return names;
}

async function check(index, tamper, out) {
  out.replaceChildren(el('p', { text: t('verify.checking', { index }) }));
  const r = await api(`/public/releases/${index}`);
  if (!r.ok) { show(out, { ok: false, message: r.body?.error ?? String(r.status) }); return; }
  let proof = String(r.body);
  if (tamper) proof = tamperWith(proof);
  const t0 = performance.now();
  const res = await verifyProof(proof, state.policy);
  res.ms = performance.now() - t0;
  show(out, res, tamper);
}

/** The proof with one hash of its path changed (a forged proof, to see it refused). */
function tamperWith(proof) {
  const lines = proof.split('\n');
  const i = lines.findIndex((l, n) => n > 0 && /^[A-Za-z0-9+/]{43}=$/.test(l));
  if (i < 0) return proof.replace('index ', 'index 1');
  const c = lines[i][0] === 'A' ? 'B' : 'A';
  lines[i] = c + lines[i].slice(1);
  return lines.join('\n');
}

function show(out, res, tampered = false) {
  const id = out.id === 'paste-result' ? 'paste' : 'proof';
  out.replaceChildren(el('div', { class: `result ${res.ok ? 'verified' : 'failed'}`, id: `${id}-result`, 'data-ok': String(res.ok) },
    el('strong', { text: res.ok ? t('verify.ok') : t('verify.failed') }), ' ',
    tampered ? el('span', { text: t('verify.was_tampered') + ' ' }) : null,
    el('span', { id: `${id}-message`, text: res.message }),
    res.ms !== undefined ? el('span', { class: 'muted', text: ` (${res.ms.toFixed(1)} ms)` }) : null));
}

// ---------------------------------------------------------------- routing, live updates
let generation = 0;
async function route() {
  const page = (location.hash.replace(/^#\/?/, '') || 'overview').split('?')[0];
  state.page = pages[page] ? page : 'overview';
  renderHeader();
  await draw(state.page);
}

/** Draws `page` off the document and puts it in place at once, unless another page was asked
 *  for meanwhile (then this one is dropped). `data-page` names the page once it is drawn
 *  (tests and scripts wait for it). */
async function draw(page) {
  const mine = ++generation;
  const main = $('main');
  const box = el('div');
  try {
    await pages[page](box);
  } catch (e) {
    box.replaceChildren(el('h1', { id: 'page-error', text: t('error.title') }), el('p', { class: 'error', text: String(e) }));
  }
  if (mine !== generation) return;
  const y = window.scrollY;
  main.replaceChildren(...box.childNodes);
  main.dataset.page = page;
  exchangeCard();
  if (page === state.page) window.scrollTo(0, y);
}

let liveBusy = false;
/** The overview's exchange card, from the latest status (updated in place as events come). */
function exchangeCard() {
  const s = state.status;
  if (!s || !$('ex-log')) return;
  $('ex-log').textContent = t('overview.log', { size: num(s.size), final: num(s.final_size) });
  $('ex-partner').textContent = t('overview.partner', { partner: partner(), mirrored: num(s.partner.mirrored), acked: num(s.partner.acknowledged) });
  $('ex-fork').className = s.frozen ? 'bad' : 'ok';
  $('ex-fork').textContent = s.frozen ? t('overview.frozen') : t('overview.no_fork');
}

// What the page in view shows of the record, brought up to date as the node makes progress:
// the mailboxes and the last submission's acknowledgement, the overview's exchange, and the
// inspections (redrawn when either log grew, at most every 3 s).
let redrawn = { at: 0, sizes: '' };
let liveAgain = false;
async function refreshLive() {
  // One refresh at a time; what arrives meanwhile is not lost: it runs once more after.
  if (liveBusy) { liveAgain = true; return; }
  liveBusy = true;
  try {
    exchangeCard();
    if (state.page === 'notifications' && signedIn() && $('box')) {
      const newest = await renderBox($('box'));
      await checkAcknowledged(newest);
    }
    const sizes = `${state.status?.size}/${state.status?.partner?.mirrored}`;
    if (state.page === 'inspections' && signedIn() && sizes !== redrawn.sizes && !$('main').querySelector('.side')) {
      const wait = 3000 - (Date.now() - redrawn.at);
      if (wait > 0) { setTimeout(refreshLive, wait); } else { redrawn = { at: Date.now(), sizes }; await draw('inspections'); }
    }
  } finally {
    liveBusy = false;
    if (liveAgain) { liveAgain = false; setTimeout(refreshLive, 0); }
  }
}

function listen() {
  const es = new EventSource('/api/v1/events');
  es.addEventListener('alert', async (e) => {
    const a = JSON.parse(e.data);
    if (state.status) { state.status.alerts = a.alerts; state.status.frozen = a.frozen; }
    await renderAlerts();
  });
  es.addEventListener('status', (e) => {
    const before = state.status;
    state.status = JSON.parse(e.data);
    renderHeader();
    if (!before || before.alerts !== state.status.alerts || before.frozen !== state.status.frozen) renderAlerts();
    refreshLive();
  });
  // EventSource reconnects by itself after a restart of the node, but not after a refusal
  // (429: too many streams from this address): try again later.
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED) setTimeout(listen, 5000);
  });
}

async function start() {
  const [m, s] = await Promise.all([api('/assets/messages.json'), api('/api/v1/status'), whoami()]);
  if (m.ok) messages = m.body;
  state.status = s.ok ? s.body : null;
  const saved = localStorage.getItem('accord.lang');
  lang = saved || (state.status?.party === 'RU' ? 'ru' : 'en');
  $('lang').value = lang;
  $('lang').addEventListener('change', () => { lang = $('lang').value; localStorage.setItem('accord.lang', lang); translateStatic(); route(); renderAlerts(); });
  $('signout').addEventListener('click', async () => {
    await api('/api/v1/session', { method: 'DELETE' });
    localStorage.removeItem(HINT);
    state.role = null;
    state.lastSubmitted = null;
    route();
    renderAlerts();
  });
  translateStatic();
  window.addEventListener('hashchange', () => { route().then(() => $('main').focus()); });
  await route();
  await renderAlerts();
  listen();
  document.body.dataset.ready = 'true';
}

start();
