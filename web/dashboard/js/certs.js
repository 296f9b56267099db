// certs.js — certificates: the expiry calendar and table (#/certificates) and the
// certificate page with download, renew and revoke (#/certificates/{id}).

import { api, listAll, query, download } from './api.js';
import { h, fill, badge, timeEl, fmtRelative, loading, empty, errorBox, problemBox, confirmDialog } from './ui.js';

const STATUSES = ['active', 'expiring', 'expired', 'revoked', 'superseded'];
const WEEK = 7 * 86400 * 1000;
// The calendar runs from this week to the last expiry, at least a quarter, at most five years and a bit.
const MIN_WEEKS = 13;
const MAX_WEEKS = 270;

// Monday 00:00 UTC of the week of t (ms).
function weekStart(t) {
  const d = new Date(t);
  d.setUTCHours(0, 0, 0, 0);
  return d.getTime() - ((d.getUTCDay() + 6) % 7) * 86400 * 1000;
}

// Per week from this one on: how many certificates expire, and how many are due for renewal.
export function expiryWeeks(certs, now = Date.now()) {
  const start = weekStart(now);
  let last = 0;
  for (const c of certs) last = Math.max(last, new Date(c.not_after).getTime());
  const WEEKS = Math.min(MAX_WEEKS, Math.max(MIN_WEEKS, Math.floor((last - start) / WEEK) + 1));
  const weeks = Array.from({ length: WEEKS }, (_, i) => ({ start: start + i * WEEK, expire: 0, renew: 0 }));
  for (const c of certs) {
    const e = Math.floor((new Date(c.not_after).getTime() - start) / WEEK);
    if (e >= 0 && e < WEEKS) weeks[e].expire += 1;
    if (c.renew_at) {
      // A renewal time in the past is due now: it counts in this week.
      const r = Math.max(0, Math.floor((new Date(c.renew_at).getTime() - start) / WEEK));
      if (r < WEEKS) weeks[r].renew += 1;
    }
  }
  return weeks;
}

// The calendar: a uPlot bar chart (expiries and renewals per week) over a table with the same numbers.
function calendar(weeks) {
  const chartBox = h('div', { class: 'chart', 'aria-hidden': 'true' });
  const any = weeks.some((w) => w.expire || w.renew);
  const table = h('table', { class: 'weeks' },
    h('caption', {}, 'Certificates expiring and renewals due, per week (weeks starting Monday, UTC)'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Week of'), h('th', { scope: 'col' }, 'Expire'), h('th', { scope: 'col' }, 'Renewals due'))),
    h('tbody', {}, weeks.filter((w) => w.expire || w.renew).map((w) => h('tr', {},
      h('td', {}, new Date(w.start).toISOString().slice(0, 10)), h('td', {}, String(w.expire)), h('td', {}, String(w.renew))))));
  const box = h('section', { class: 'calendar' }, h('h2', {}, 'Expiry calendar'),
    any ? chartBox : empty('No active certificate to show.'),
    any ? h('details', {}, h('summary', {}, 'The numbers'), h('div', { class: 'table-wrap' }, table)) : null);
  if (any && window.uPlot) {
    // Drawn after the box is in the page, at the box's width (phones included).
    requestAnimationFrame(() => {
      const width = Math.max(280, chartBox.clientWidth || 600);
      const bars = window.uPlot.paths.bars;
      const data = [weeks.map((w) => w.start / 1000), weeks.map((w) => w.expire), weeks.map((w) => w.renew)];
      // eslint-disable-next-line no-new
      new window.uPlot({
        width,
        height: 220,
        scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
        // whole certificates only: no 0.2 ticks on a count
        axes: [{}, { label: 'certificates', size: 50, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000] }],
        series: [
          { label: 'Week of' },
          { label: 'Expire', stroke: '#b3261e', fill: 'rgba(179,38,30,0.55)', paths: bars({ size: [0.4, 40], align: -1 }) },
          { label: 'Renewals due', stroke: '#1d5fa8', fill: 'rgba(29,95,168,0.55)', paths: bars({ size: [0.4, 40], align: 1 }) },
        ],
      }, data, chartBox);
    });
  }
  return box;
}

// The certificates view: calendar of the active ones, then the filtered table.
export function mountCerts(root, params, nav) {
  const f = { status: params.get('status') || '', domain: params.get('domain') || '' };
  const calBox = h('div', {}, loading('Loading the calendar…'));
  const tableBox = h('div', { class: 'results' }, loading());
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter certificates' },
    h('label', {}, 'Status ', h('select', { name: 'status' }, h('option', { value: '' }, 'any'),
      STATUSES.map((s) => h('option', { value: s, selected: s === f.status }, s)))),
    h('label', {}, 'Domain ', h('input', { name: 'domain', type: 'search', value: f.domain, autocomplete: 'off' })),
    h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    nav(`#/certificates${query({ status: fd.get('status'), domain: fd.get('domain').trim() })}`);
  });
  fill(root, h('h1', {}, 'Certificates'), calBox, h('h2', {}, 'All certificates'), form, tableBox);
  let lastCal = '';
  let lastTable = '';

  async function refresh() {
    try {
      const [act, exp] = await Promise.all([listAll('/v1/certificates', { status: 'active' }), listAll('/v1/certificates', { status: 'expiring' })]);
      const weeks = expiryWeeks([...act.rows, ...exp.rows]);
      const sig = JSON.stringify(weeks);
      if (sig !== lastCal) {
        lastCal = sig;
        fill(calBox, calendar(weeks));
      }
    } catch (e) {
      lastCal = '';
      fill(calBox, errorBox(e, 'Could not load the calendar'));
    }
    try {
      const r = await api('GET', '/v1/certificates' + query(Object.assign({ limit: 100 }, f)));
      const sig = JSON.stringify(r.data);
      if (sig === lastTable) return;
      lastTable = sig;
      const rows = r.data.data;
      if (!rows.length) {
        fill(tableBox, empty(f.status || f.domain ? 'No certificate matches these filters.' : 'No certificates yet.'));
        return;
      }
      fill(tableBox, h('div', { class: 'table-wrap' }, h('table', { class: 'certs' },
        h('thead', {}, h('tr', {}, ['Names', 'Status', 'Expires', 'Renewal', 'Key'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, rows.map((c) => h('tr', { 'data-cert': c.id },
          h('td', { 'data-label': 'Names' }, h('a', { href: `#/certificates/${encodeURIComponent(c.id)}` }, c.domains.join(', '))),
          h('td', { 'data-label': 'Status' }, badge(c.status)),
          h('td', { 'data-label': 'Expires' }, timeEl(c.not_after), h('span', { class: 'hint' }, ` ${fmtRelative(c.not_after)}`)),
          h('td', { 'data-label': 'Renewal' }, c.renew_at ? timeEl(c.renew_at) : (c.auto_renew ? '—' : 'off')),
          h('td', { 'data-label': 'Key' }, c.key_type || 'customer CSR')))))),
        r.data.next_cursor ? h('p', { class: 'hint' }, 'Showing the newest 100; filter to narrow down.') : null);
    } catch (e) {
      lastTable = '';
      fill(tableBox, errorBox(e, 'Could not load the certificates'));
    }
  }
  return { refresh };
}

const REASONS = ['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation'];
const FORMATS = [
  ['pem_fullchain', 'PEM, full chain'], ['pem_leaf', 'PEM, certificate only'], ['pem_chain', 'PEM, issuers only'],
  ['pem_key', 'PEM, private key'], ['der', 'DER (.cer)'], ['p7b', 'PKCS #7 (.p7b)'], ['pfx', 'PKCS #12 (.pfx)'],
];

// The certificate page: facts, revocation state, download, renew, revoke; polled with ETag.
export function mountCert(root, id, nav) {
  fill(root, h('h1', {}, 'Certificate'), loading());
  let etag = null;
  let cert = null;
  let msg = null;

  async function doDownload(form) {
    const fd = new FormData(form);
    const fmt = fd.get('format');
    const headers = {};
    if (fmt === 'pfx') headers['X-PFX-Password'] = fd.get('password');
    try {
      const name = await download(`/v1/certificates/${encodeURIComponent(id)}/download${query({ format: fmt })}`, headers);
      msg = h('p', { class: 'ok', role: 'status' }, `Downloaded ${name}.`);
    } catch (e) {
      msg = errorBox(e, 'Download failed');
    }
    render();
  }

  async function renew() {
    if (!(await confirmDialog('Renew now', 'certmill orders a new certificate for the same names now.', 'Renew'))) return;
    try {
      const r = await api('POST', `/v1/certificates/${encodeURIComponent(id)}/renew`);
      nav(`#/orders/${encodeURIComponent(r.data.id)}`);
    } catch (e) {
      msg = errorBox(e, 'Renew failed');
      render();
    }
  }

  async function revoke() {
    const sel = h('select', { name: 'reason', id: 'revoke-reason' }, REASONS.map((r) => h('option', { value: r }, r)));
    const extra = h('p', {}, h('label', { for: 'revoke-reason' }, 'Reason '), sel);
    if (!(await confirmDialog('Revoke certificate', 'The CA revokes it for good: browsers will stop trusting it.', 'Revoke', extra))) return;
    try {
      const r = await api('POST', `/v1/certificates/${encodeURIComponent(id)}/revoke`, { body: { reason: sel.value } });
      cert = r.data;
      etag = null;
      msg = h('p', { class: 'ok', role: 'status' }, 'Revocation requested.');
    } catch (e) {
      msg = errorBox(e, 'Revoke failed');
    }
    render();
  }

  function render() {
    const c = cert;
    const rv = c.revocation;
    const form = h('form', { class: 'download' },
      h('label', {}, 'Format ', h('select', { name: 'format', id: 'dl-format' },
        FORMATS.filter(([f]) => c.key_type || !['pem_key', 'pfx'].includes(f)).map(([v, l]) => h('option', { value: v }, l)))),
      h('label', { class: 'pfx-pass', hidden: true }, 'PKCS #12 password ', h('input', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: 1, maxlength: 128 })),
      h('button', { type: 'submit', class: 'primary' }, 'Download'));
    form.format.addEventListener('change', () => {
      const p = form.querySelector('.pfx-pass');
      p.hidden = form.format.value !== 'pfx';
      form.password.required = !p.hidden;
    });
    form.addEventListener('submit', (ev) => { ev.preventDefault(); doDownload(form); });
    const canAct = !['revoked', 'expired'].includes(c.status);
    fill(root,
      h('p', { class: 'crumbs' }, h('a', { href: '#/certificates' }, 'Certificates'), ' / ', h('code', {}, c.id)),
      h('h1', {}, c.domains.join(', ')),
      h('p', {}, 'Status ', h('span', { id: 'cert-status', 'aria-live': 'polite' }, badge(c.status))),
      msg,
      rv && !rv.revoked_at && !rv.problem ? h('p', { class: 'hint', role: 'status' }, `Revocation (${rv.reason}) asked `, timeEl(rv.requested_at), '; the CA is being told.') : null,
      rv && rv.revoked_at ? h('p', {}, `Revoked (${rv.reason}) `, timeEl(rv.revoked_at)) : null,
      rv ? problemBox(rv.problem) : null,
      h('dl', { class: 'facts' },
        h('dt', {}, 'Valid'), h('dd', {}, timeEl(c.not_before), ' to ', timeEl(c.not_after), ` (${fmtRelative(c.not_after)})`),
        h('dt', {}, 'Serial'), h('dd', {}, h('code', {}, c.serial)),
        h('dt', {}, 'CA'), h('dd', {}, c.ca),
        h('dt', {}, 'Key type'), h('dd', {}, c.key_type || 'customer CSR'),
        h('dt', {}, 'Renewal window'), h('dd', {}, c.renewal_window ? [timeEl(c.renewal_window.start), ' to ', timeEl(c.renewal_window.end)] : 'none from the CA (certmill picks the time)'),
        h('dt', {}, 'Renews'), h('dd', {}, c.renew_at ? [timeEl(c.renew_at), ` (${fmtRelative(c.renew_at)})`] : (c.auto_renew ? '—' : 'not automatically')),
        h('dt', {}, 'Order'), h('dd', {}, h('a', { href: `#/orders/${encodeURIComponent(c.order_id)}` }, c.order_id)),
        c.renewal_order_id ? [h('dt', {}, 'Renewal order'), h('dd', {}, h('a', { href: `#/orders/${encodeURIComponent(c.renewal_order_id)}` }, c.renewal_order_id))] : null,
        c.superseded_by ? [h('dt', {}, 'Replaced by'), h('dd', {}, h('a', { href: `#/certificates/${encodeURIComponent(c.superseded_by)}` }, c.superseded_by))] : null),
      h('h2', {}, 'Download'), form,
      h('h2', {}, 'Actions'),
      h('div', { class: 'actions' },
        canAct ? h('button', { type: 'button', onclick: renew }, 'Renew now') : null,
        canAct && !(rv && !rv.problem) ? h('button', { type: 'button', class: 'danger', onclick: revoke }, 'Revoke') : null,
        !canAct ? h('p', { class: 'hint' }, `A ${c.status} certificate cannot be renewed or revoked here; order it again.`) : null));
  }

  async function refresh() {
    try {
      const r = await api('GET', `/v1/certificates/${encodeURIComponent(id)}`, { etag });
      if (r.status === 304) return;
      cert = r.data;
      etag = r.etag;
      render();
    } catch (e) {
      etag = null;
      fill(root, h('p', { class: 'crumbs' }, h('a', { href: '#/certificates' }, 'Certificates')), h('h1', {}, 'Certificate'),
        errorBox(e, e.status === 404 ? 'No such certificate' : 'Could not load the certificate'));
    }
  }
  return { refresh };
}
