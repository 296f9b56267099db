// attention.js — what needs a person: orders waiting for action, failed and retrying orders,
// failed webhook deliveries, certificates inside their renewal window. A bar on every view
// (counts) and a full view (#/) with the rows.

import { api, listAll, query } from './api.js';
import { h, fill, badge, timeEl, fmtRelative, loading, empty, errorBox, plainProblem } from './ui.js';

// Collects everything that needs attention (a handful of list calls).
export async function loadAttention() {
  const [actionRequired, failed, queued, pending, expiring, active, deliveries] = await Promise.all([
    api('GET', '/v1/orders' + query({ status: 'action_required', limit: 200 })),
    api('GET', '/v1/orders' + query({ status: 'failed', limit: 200 })),
    api('GET', '/v1/orders' + query({ status: 'queued', limit: 200 })),
    api('GET', '/v1/orders' + query({ status: 'pending_validation', limit: 200 })),
    api('GET', '/v1/certificates' + query({ status: 'expiring', limit: 200 })),
    // Active certificates whose renewal time has come are inside their renewal window.
    listAll('/v1/certificates', { status: 'active' }, 1000),
    api('GET', '/v1/webhook-deliveries' + query({ status: 'failed', limit: 100 })),
  ]);
  const now = Date.now();
  const retrying = [...queued.data.data, ...pending.data.data].filter((o) => o.problem && o.problem.next_attempt_at);
  const dueCerts = [
    ...expiring.data.data,
    ...active.rows.filter((c) => c.renew_at && new Date(c.renew_at).getTime() <= now),
  ];
  return {
    actionRequired: actionRequired.data.data,
    failed: failed.data.data,
    retrying,
    deliveries: deliveries.data.data,
    dueCerts,
  };
}

// The counts bar under the header; each count links to its rows.
export function renderBar(el, a) {
  const items = [
    ['action-required', 'need action', a.actionRequired.length, '#/orders?status=action_required'],
    ['failed', 'failed', a.failed.length, '#/orders?status=failed'],
    ['retrying', 'retrying', a.retrying.length, '#/'],
    ['deliveries', 'failed webhook deliveries', a.deliveries.length, '#/'],
    ['renewal', 'in renewal window', a.dueCerts.length, '#/certificates'],
  ];
  const total = items.reduce((s, i) => s + i[2], 0);
  fill(el,
    h('span', { class: 'bar-title' }, total ? 'Needs attention:' : 'Nothing needs attention'),
    items.filter((i) => i[2] > 0).map(([id, label, n, href]) =>
      h('a', { href, class: `att att-${id}`, 'data-att': id }, h('b', {}, String(n)), ` ${label}`)));
  el.classList.toggle('calm', total === 0);
}

function orderRow(o, extra) {
  return h('tr', {},
    h('td', {}, h('a', { href: `#/orders/${encodeURIComponent(o.id)}` }, o.domains.join(', '))),
    h('td', {}, badge(o.status)),
    h('td', {}, extra),
    h('td', {}, timeEl(o.updated_at)));
}

function section(title, rows, head, emptyText) {
  return h('section', { class: 'att-section' },
    h('h2', {}, title, ' ', h('span', { class: 'count' }, `(${rows.length})`)),
    rows.length
      ? h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, rows)))
      : empty(emptyText));
}

// The attention view (#/).
export function mountAttention(root) {
  fill(root, h('h1', {}, 'Needs attention'), loading());
  let last = '';
  async function refresh() {
    let a;
    try {
      a = await loadAttention();
    } catch (e) {
      fill(root, h('h1', {}, 'Needs attention'), errorBox(e, 'Could not load'));
      last = '';
      return;
    }
    const sig = JSON.stringify(a);
    if (sig === last) return;
    last = sig;
    fill(root,
      h('h1', {}, 'Needs attention'),
      section('Orders waiting for you', a.actionRequired.map((o) => orderRow(o,
        (o.problem && plainProblem(o.problem.code)) || 'Publish the DNS records, then press "Records published" on the order.')), ['Names', 'Status', 'What to do', 'Updated'],
      'No order waits for you.'),
      section('Failed orders', a.failed.map((o) => orderRow(o, o.problem
        ? h('span', {}, h('code', {}, o.problem.code), ' ', plainProblem(o.problem.code) || o.problem.detail || '') : '')),
        ['Names', 'Status', 'Why', 'Updated'], 'No failed order.'),
      section('Orders retrying', a.retrying.map((o) => orderRow(o, h('span', {}, `${o.problem.code}; next attempt `,
        timeEl(o.problem.next_attempt_at), ` (${fmtRelative(o.problem.next_attempt_at)})`))),
      ['Names', 'Status', 'Next attempt', 'Updated'], 'No order is waiting to retry.'),
      section('Failed webhook deliveries', a.deliveries.map((d) => h('tr', {},
        h('td', {}, d.webhook_url), h('td', {}, d.event_type),
        h('td', {}, `${d.attempts} attempts, last ${d.last_response_code ?? 'no answer'}${d.last_error ? `: ${d.last_error}` : ''}`),
        h('td', {}, timeEl(d.last_attempt_at), ' ', h('button', { type: 'button', class: 'copy', onclick: async (ev) => {
          ev.target.disabled = true;
          try {
            await api('POST', `/v1/webhooks/${encodeURIComponent(d.webhook_id)}/deliveries/${encodeURIComponent(d.id)}/retry`);
            last = '';
            await refresh();
          } catch (e) {
            ev.target.replaceWith(errorBox(e, 'Retry failed'));
          }
        } }, 'Send again')))), ['Webhook', 'Event', 'Last result', 'Last attempt'],
      'No failed webhook delivery.'),
      section('Certificates in their renewal window', a.dueCerts.map((c) => h('tr', {},
        h('td', {}, h('a', { href: `#/certificates/${encodeURIComponent(c.id)}` }, c.domains.join(', '))),
        h('td', {}, badge(c.status)),
        h('td', {}, c.renewal_order_id ? h('a', { href: `#/orders/${encodeURIComponent(c.renewal_order_id)}` }, 'renewal order') : (c.auto_renew ? 'renewal due' : 'not renewed automatically')),
        h('td', {}, timeEl(c.not_after)))), ['Names', 'Status', 'Renewal', 'Expires'],
      'No certificate is inside its renewal window.'));
  }
  return { refresh };
}
