// neworder.js — the form to request a certificate (#/new): names, challenge, key type,
// DNS provider (dns-01), customer ref, auto-renew. POST /v1/orders with an Idempotency-Key.

import { api, listAll } from './api.js';
import { h, fill, errorBox } from './ui.js';

const KEY_TYPES = ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'];

// Splits the names box: one name per line, or separated by commas or spaces.
export function parseNames(text) {
  return text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}

export function mountNewOrder(root, params, nav) {
  const errBox = h('div', { 'aria-live': 'assertive' });
  const provSel = h('select', { name: 'dns_provider', id: 'f-provider' }, h('option', { value: '' }, 'none: I set the records myself (manual)'));
  const provRow = h('p', { hidden: true }, h('label', { for: 'f-provider' }, 'DNS provider'), provSel);
  // An Idempotency-Key per filled-in form: a double submit or a retry after a lost answer makes one order.
  let idemKey = crypto.randomUUID();
  const form = h('form', { class: 'new-order', novalidate: true },
    h('p', {}, h('label', { for: 'f-names' }, 'Names'),
      h('textarea', { id: 'f-names', name: 'domains', rows: 4, required: true, placeholder: 'www.example.com\nexample.com', 'aria-describedby': 'f-names-hint', autocapitalize: 'off', spellcheck: 'false' }),
      h('span', { id: 'f-names-hint', class: 'hint' }, 'One per line (or separated by commas). A wildcard (*.example.com) needs dns-01.')),
    h('p', {}, h('label', { for: 'f-challenge' }, 'Challenge'),
      h('select', { id: 'f-challenge', name: 'challenge' },
        h('option', { value: 'http-01' }, 'http-01 (port 80 reaches certmill)'),
        h('option', { value: 'dns-01' }, 'dns-01 (TXT record)'),
        h('option', { value: 'tls-alpn-01' }, 'tls-alpn-01 (port 443 reaches certmill-alpn)'))),
    provRow,
    h('p', {}, h('label', { for: 'f-key' }, 'Key type'),
      h('select', { id: 'f-key', name: 'key_type' }, KEY_TYPES.map((k) => h('option', { value: k }, k)))),
    h('p', {}, h('label', { for: 'f-ref' }, 'Customer ref (optional)'),
      h('input', { id: 'f-ref', name: 'customer_ref', maxlength: 200, autocomplete: 'off' })),
    h('p', { class: 'check' }, h('label', {}, h('input', { type: 'checkbox', name: 'auto_renew', checked: true }), ' Renew automatically')),
    errBox,
    h('p', {}, h('button', { type: 'submit', class: 'primary' }, 'Request certificate')));
  form.challenge.addEventListener('change', () => { provRow.hidden = form.challenge.value !== 'dns-01'; });
  form.addEventListener('input', () => { idemKey = crypto.randomUUID(); });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const domains = parseNames(form.domains.value);
    fill(errBox);
    if (!domains.length) {
      fill(errBox, h('div', { class: 'problem bad', role: 'alert' }, 'Enter at least one name.'));
      form.domains.focus();
      return;
    }
    const body = { domains, challenge: form.challenge.value, key_type: form.key_type.value, auto_renew: form.auto_renew.checked };
    if (form.customer_ref.value.trim()) body.customer_ref = form.customer_ref.value.trim();
    if (body.challenge === 'dns-01' && provSel.value) body.dns_provider = provSel.value;
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    btn.textContent = 'Requesting…';
    try {
      const r = await api('POST', '/v1/orders', { body, headers: { 'Idempotency-Key': `dashboard-${idemKey}` } });
      nav(`#/orders/${encodeURIComponent(r.data.id)}`);
    } catch (e) {
      fill(errBox, errorBox(e, 'The order was refused'));
      btn.disabled = false;
      btn.textContent = 'Request certificate';
      // Point at the field the API named (domains[1] → the names box).
      const field = (e.field || '').replace(/\[.*$/, '');
      const target = { domains: form.domains, challenge: form.challenge, key_type: form.key_type, customer_ref: form.customer_ref, dns_provider: provSel }[field];
      if (target) {
        target.setAttribute('aria-invalid', 'true');
        target.focus();
      }
    }
  });
  fill(root, h('h1', {}, 'Request a certificate'), form);
  // The tenant's DNS providers, for dns-01 without publishing by hand.
  listAll('/v1/dns-providers', {}, 200).then((r) => {
    for (const p of r.rows) provSel.append(h('option', { value: p.id }, `${p.name} (${p.type})`));
  }).catch(() => {});
  return { refresh: async () => {} };
}
