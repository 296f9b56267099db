// app.js — the dashboard's shell: the API key form, the hash router, the attention bar,
// and the poll that keeps the current view up to date without reloading.

import { api, getKey, setKey, clearKey } from './api.js';
import { h, fill, errorBox, focusHeading } from './ui.js';
import { loadAttention, renderBar, mountAttention } from './attention.js';
import { mountOrders, mountOrder } from './orders.js';
import { mountCerts, mountCert } from './certs.js';
import { mountNewOrder } from './neworder.js';

// Poll period: 3 s by default (an order at a real CA takes seconds to minutes); ?poll=MS changes it.
const POLL_MS = Math.max(500, Number(new URLSearchParams(location.search).get('poll')) || 3000);
// The attention bar costs several list calls: every fifth poll.
const BAR_EVERY = 5;

const main = document.getElementById('main');
const bar = document.getElementById('attention');
const navEl = document.getElementById('nav');
const who = document.getElementById('who');

let view = null;
let ticks = 0;
let timer = null;
let viewSeq = 0;

function nav(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// The key form; message explains why it is shown again (a refused key).
function showLogin(message) {
  stopPolling();
  view = null;
  document.body.classList.add('logged-out');
  fill(bar);
  const input = h('input', { id: 'api-key', name: 'key', type: 'password', required: true, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'key-hint' });
  const err = h('div', { id: 'login-error', 'aria-live': 'assertive' }, message ? h('div', { class: 'problem bad', role: 'alert' }, message) : null);
  const form = h('form', { class: 'login' },
    h('h1', {}, 'certmill'),
    h('p', {}, h('label', { for: 'api-key' }, 'API key'), input,
      h('span', { id: 'key-hint', class: 'hint' }, 'Your tenant\u2019s key (cm_…). It stays in this tab only (session storage) and goes when you close it.')),
    err,
    h('p', {}, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const key = input.value.trim();
    fill(err);
    if (!key) return;
    const btn = form.querySelector('button');
    btn.disabled = true;
    try {
      // Any cheap authenticated call tells whether the key works.
      await api('GET', '/v1/orders?limit=1', { key, quiet: true });
      setKey(key);
      start();
    } catch (e) {
      if (e.status === 401) {
        fill(err, h('div', { class: 'problem bad', role: 'alert' },
          h('strong', {}, 'This API key was refused.'),
          h('p', {}, 'The server does not know it, or it was revoked. Check that you pasted all of it, or ask the operator for a new one (certmill key create).')));
      } else {
        fill(err, errorBox(e, 'Could not check the key'));
      }
      btn.disabled = false;
      input.focus();
    }
  });
  fill(main, form);
  input.focus();
}

function logout() {
  clearKey();
  showLogin(null);
}

// Picks the view of the current hash: #/, #/orders, #/orders/{id}, #/certificates, #/certificates/{id}, #/new.
function route() {
  if (!getKey()) return;
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  const params = new URLSearchParams(qs || '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const section = parts[0] || '';
  for (const a of navEl.querySelectorAll('a')) {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  let mount;
  if (section === '') mount = () => mountAttention(main);
  else if (section === 'orders' && parts[1]) mount = () => mountOrder(main, parts[1], nav);
  else if (section === 'orders') mount = () => mountOrders(main, params, nav);
  else if (section === 'certificates' && parts[1]) mount = () => mountCert(main, parts[1], nav);
  else if (section === 'certificates') mount = () => mountCerts(main, params, nav);
  else if (section === 'new') mount = () => mountNewOrder(main, params, nav);
  else mount = () => { fill(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the start'))); return { refresh: async () => {} }; };
  const seq = ++viewSeq;
  view = mount();
  focusHeading(main);
  view.refresh().then(() => { if (seq === viewSeq) document.title = `${(main.querySelector('h1') || {}).textContent || 'certmill'} — certmill`; });
}

async function refreshBar() {
  try {
    renderBar(bar, await loadAttention());
  } catch (e) {
    if (e.status !== 401) fill(bar, h('span', { class: 'bar-title' }, 'Attention: '), e.message);
  }
}

// One poll: the view refreshes itself (304s cost nothing), the bar every few polls.
async function tick() {
  timer = null;
  const v = view;
  try {
    if (v && !document.hidden) await v.refresh();
    if (ticks++ % BAR_EVERY === 0 && !document.hidden) await refreshBar();
  } finally {
    if (getKey()) timer = setTimeout(tick, POLL_MS);
  }
}

function stopPolling() {
  if (timer) clearTimeout(timer);
  timer = null;
}

function start() {
  document.body.classList.remove('logged-out');
  fill(who, h('button', { type: 'button', id: 'logout', onclick: logout }, 'Sign out'));
  route();
  stopPolling();
  ticks = 0;
  timer = setTimeout(tick, 0);
}

window.addEventListener('hashchange', route);
window.addEventListener('certmill:unauthorized', () => {
  clearKey();
  showLogin('The server no longer accepts this API key (it was revoked?). Enter a valid key.');
});
document.addEventListener('visibilitychange', () => { if (!document.hidden && view) view.refresh(); });

if (getKey()) start();
else showLogin(null);
