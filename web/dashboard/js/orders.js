// orders.js — the orders table with its filters (#/orders) and the order page (#/orders/{id}).

import { api, query } from './api.js';
import { h, fill, badge, timeEl, loading, empty, errorBox, problemBox, copyButton, confirmDialog } from './ui.js';

const STATUSES = ['queued', 'pending_validation', 'action_required', 'issuing', 'issued', 'failed', 'cancelled'];

// The orders table; filters live in the URL (#/orders?status=failed&domain=...) so a view can be linked.
export function mountOrders(root, params, nav) {
  const f = { status: params.get('status') || '', domain: params.get('domain') || '', customer_ref: params.get('customer_ref') || '' };
  const tableBox = h('div', { class: 'results' }, loading());
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter orders' },
    h('label', {}, 'Status ', h('select', { name: 'status' }, h('option', { value: '' }, 'any'),
      STATUSES.map((s) => h('option', { value: s, selected: s === f.status }, s.replace(/_/g, ' '))))),
    h('label', {}, 'Domain ', h('input', { name: 'domain', type: 'search', value: f.domain, placeholder: 'www.example.com', autocomplete: 'off' })),
    h('label', {}, 'Customer ref ', h('input', { name: 'customer_ref', type: 'search', value: f.customer_ref, autocomplete: 'off' })),
    h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    nav(`#/orders${query({ status: fd.get('status'), domain: fd.get('domain').trim(), customer_ref: fd.get('customer_ref').trim() })}`);
  });
  fill(root, h('h1', {}, 'Orders'), form, tableBox);

  let rows = [];
  let next = null;
  let last = '';
  // Pages after the first that the user asked for stay loaded across polls.
  let pages = 1;

  async function load() {
    let got = [];
    let cursor = null;
    for (let i = 0; i < pages; i++) {
      const r = await api('GET', '/v1/orders' + query(Object.assign({ limit: 50, cursor }, f)));
      got = got.concat(r.data.data);
      cursor = r.data.next_cursor;
      if (!cursor) break;
    }
    rows = got;
    next = cursor;
  }

  function render() {
    const sig = JSON.stringify([rows, next]);
    if (sig === last) return;
    last = sig;
    if (!rows.length) {
      const filtered = f.status || f.domain || f.customer_ref;
      fill(tableBox, empty(filtered ? 'No order matches these filters.' : 'No orders yet. Request a certificate to make the first one.'),
        filtered ? null : h('a', { href: '#/new', class: 'btn' }, 'Request a certificate'));
      return;
    }
    const more = next ? h('button', { type: 'button', onclick: async () => { pages += 1; await refresh(); } }, 'Load more') : null;
    fill(tableBox,
      h('div', { class: 'table-wrap' }, h('table', { class: 'orders' },
        h('caption', { class: 'offscreen' }, 'Orders, newest first'),
        h('thead', {}, h('tr', {}, ['Names', 'Status', 'Challenge', 'Customer ref', 'Created', 'Updated'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, rows.map((o) => h('tr', { 'data-order': o.id },
          h('td', { 'data-label': 'Names' }, h('a', { href: `#/orders/${encodeURIComponent(o.id)}` }, o.domains.join(', '))),
          h('td', { 'data-label': 'Status' }, badge(o.status), o.problem && o.status !== 'failed' ? h('span', { class: 'hint' }, ` ${o.problem.code}`) : null),
          h('td', { 'data-label': 'Challenge' }, o.challenge),
          h('td', { 'data-label': 'Customer ref' }, o.customer_ref || '—'),
          h('td', { 'data-label': 'Created' }, timeEl(o.created_at)),
          h('td', { 'data-label': 'Updated' }, timeEl(o.updated_at))))))),
      more);
  }

  async function refresh() {
    try {
      await load();
      render();
    } catch (e) {
      last = '';
      fill(tableBox, errorBox(e, 'Could not load the orders'));
    }
  }
  return { refresh };
}

// One authorization (or, before the CA order exists, one name) as a card: status, challenge, record.
function authzCard(a, order) {
  const name = a.wildcard ? `*.${a.domain}` : a.domain;
  const rec = a.record;
  return h('li', { class: 'authz', 'data-domain': name },
    h('div', { class: 'authz-head' }, h('strong', {}, name || '(reading from the CA)'), ' ', badge(a.status), ' ', h('span', { class: 'hint' }, a.challenge)),
    rec && order.status !== 'cancelled' ? h('div', { class: 'record', 'aria-label': `DNS record for ${name}` },
      h('p', {}, order.status === 'action_required'
        ? 'Set this DNS record, then press "Records published":'
        : 'The DNS record that proves this name:'),
      h('dl', {},
        h('dt', {}, 'Name'), h('dd', {}, h('code', { class: 'rec-name' }, rec.name), ' ', copyButton(rec.name, `record name of ${name}`)),
        h('dt', {}, 'Type'), h('dd', {}, h('code', { class: 'rec-type' }, rec.type)),
        h('dt', {}, 'Value'), h('dd', {}, h('code', { class: 'rec-value' }, rec.value), ' ', copyButton(rec.value, `record value of ${name}`)),
        h('dt', {}, 'TTL'), h('dd', {}, String(rec.ttl)))) : null);
}

// The order page: per name status/challenge/record, the problem, actions, the log as a timeline.
export function mountOrder(root, id, nav) {
  fill(root, h('h1', {}, 'Order'), loading());
  let etag = null;
  let order = null;
  let log = [];
  let actionErr = null;
  let busy = false;

  async function act(path, what, confirmText) {
    if (confirmText && !(await confirmDialog(what, confirmText, what))) return;
    busy = true;
    actionErr = null;
    try {
      const r = await api('POST', `/v1/orders/${encodeURIComponent(id)}/${path}`, { body: {} });
      order = r.data;
      etag = null;
    } catch (e) {
      actionErr = errorBox(e, `${what} failed`);
    }
    busy = false;
    await refresh(true);
  }

  function render() {
    const o = order;
    const authz = o.authorizations && o.authorizations.length
      ? o.authorizations
      : o.domains.map((d) => ({ domain: d.replace(/^\*\./, ''), wildcard: d.startsWith('*.'), status: o.status === 'queued' ? 'waiting for the CA' : '—', challenge: o.challenge, record: null }));
    const buttons = [];
    if (o.status === 'action_required') buttons.push(h('button', { type: 'button', class: 'primary', onclick: () => act('continue', 'Records published') }, 'Records published'));
    if (['queued', 'pending_validation', 'action_required'].includes(o.status)) buttons.push(h('button', { type: 'button', class: 'danger', onclick: () => act('cancel', 'Cancel order', 'The order stops and cannot be resumed.') }, 'Cancel order'));
    if (o.status === 'failed') buttons.push(h('button', { type: 'button', onclick: () => act('retry', 'Retry') }, 'Retry'));
    if (o.certificate_id) buttons.push(h('a', { class: 'btn primary', href: `#/certificates/${encodeURIComponent(o.certificate_id)}` }, 'Certificate'));
    const hadFocus = root.contains(document.activeElement) ? document.activeElement.textContent : null;
    fill(root,
      h('p', { class: 'crumbs' }, h('a', { href: '#/orders' }, 'Orders'), ' / ', h('code', {}, o.id)),
      h('h1', {}, o.domains.join(', ')),
      h('p', { class: 'order-status' }, 'Status ', h('span', { id: 'order-status', 'aria-live': 'polite' }, badge(o.status)),
        o.waiting ? h('span', { class: 'hint' }, ` held back by the CA's rate-limit budget until `, timeEl(o.waiting.until)) : null),
      h('div', { class: 'actions' }, buttons),
      actionErr,
      problemBox(o.problem, o.status === 'failed', o.status === 'action_required' ? 'Waiting for you' : null),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Challenge'), h('dd', {}, o.challenge + (o.challenge === 'dns-01' ? (o.dns_provider ? ` via ${o.dns_provider}` : ' (manual)') : '')),
        h('dt', {}, 'Key type'), h('dd', {}, o.key_type || '—'),
        h('dt', {}, 'CA'), h('dd', {}, o.ca || '—'),
        h('dt', {}, 'Customer ref'), h('dd', {}, o.customer_ref || '—'),
        h('dt', {}, 'Created'), h('dd', {}, timeEl(o.created_at)),
        h('dt', {}, 'Updated'), h('dd', {}, timeEl(o.updated_at))),
      h('h2', {}, 'Names'),
      h('ul', { class: 'authzs' }, authz.map((a) => authzCard(a, o))),
      o.dropped_domains && o.dropped_domains.length ? h('p', { class: 'hint' }, `Dropped at pre-flight: ${o.dropped_domains.join(', ')}`) : null,
      h('h2', {}, 'Timeline'),
      log.length
        ? h('ol', { class: 'timeline' }, log.map((l) => h('li', {}, timeEl(l.at), ' ', h('span', {}, l.message))))
        : empty('Nothing has happened yet.'));
    if (hadFocus) {
      const again = [...root.querySelectorAll('button, a')].find((b) => b.textContent === hadFocus);
      if (again) again.focus();
    }
  }

  // force: render even when the order did not change (after an action).
  async function refresh(force) {
    if (busy) return;
    try {
      const r = await api('GET', `/v1/orders/${encodeURIComponent(id)}`, { etag });
      if (r.status === 304 && !force) return;
      if (r.status !== 304) {
        order = r.data;
        etag = r.etag;
      }
      // The log changes only with the order; fetch it when the order did.
      const l = await api('GET', `/v1/orders/${encodeURIComponent(id)}/log`);
      log = l.data.data;
      render();
    } catch (e) {
      etag = null;
      fill(root, h('p', { class: 'crumbs' }, h('a', { href: '#/orders' }, 'Orders')), h('h1', {}, 'Order'),
        errorBox(e, e.status === 404 ? 'No such order' : 'Could not load the order'));
    }
  }
  return { refresh, nav };
}
