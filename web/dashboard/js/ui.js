// ui.js — small DOM helpers, formatting, and the problem codes in plain words.

// Makes an element: h('a', {href: '#/x', class: 'btn'}, 'text', child, ...). Text is always text, never HTML.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// Replaces the children of an element.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// "2026-11-29 03:10 UTC" — operators compare with logs, which are in UTC.
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

// "in 3 days", "5 min ago".
export function fmtRelative(iso, now = Date.now()) {
  if (!iso) return '';
  const s = Math.round((new Date(iso).getTime() - now) / 1000);
  const a = Math.abs(s);
  let v;
  if (a < 60) v = `${a} s`;
  else if (a < 3600) v = `${Math.round(a / 60)} min`;
  else if (a < 172800) v = `${Math.round(a / 3600)} h`;
  else v = `${Math.round(a / 86400)} days`;
  return s >= 0 ? `in ${v}` : `${v} ago`;
}

// A <time> with the absolute time as text and the relative one as a title.
export function timeEl(iso) {
  return h('time', { datetime: iso || '', title: iso ? fmtRelative(iso) : '' }, fmtTime(iso));
}

// A status badge; the class gives its colour, the word is always written out.
export function badge(status) {
  return h('span', { class: `badge st-${status}`, 'data-status': status }, status.replace(/_/g, ' '));
}

// What a person should know about each order problem code (docs/api.md, order problems).
const PLAIN = {
  validation_failed: 'The CA could not validate a name: the name does not resolve, port 80 does not reach certmill, or the answer was wrong.',
  validation_responder_unavailable: "The CA's check reached certmill's responder while it was unavailable; certmill starts again with a new CA order.",
  challenge_unavailable: 'The CA offers no challenge of this type for a name. Order again with another challenge.',
  ca_rejected: 'The CA refused the order, a name or the CSR (its policy or a blocked name).',
  ca_unreachable: 'The CA could not be reached. certmill tries again by itself.',
  ca_protocol_error: "The CA's answer was not valid ACME. certmill tries again by itself.",
  ca_error: 'The CA answered with a server error. certmill tries again by itself.',
  rate_limited: "The CA's rate limit was reached. certmill waits as long as the CA asked and tries again.",
  ca_account_lost: 'The CA no longer knows the ACME account; certmill registers again.',
  eab_required: 'The CA requires External Account Binding and none is configured for it: the operator must add EAB credentials.',
  eab_rejected: 'The CA refused the EAB credentials: check the key id and the HMAC key.',
  key_type_unsupported: 'The CA does not accept this key type. Order again with another key type.',
  ip_identifier_unsupported: 'The CA does not certify IP addresses. Order the address from a CA that does.',
  ca_order_lost: 'The CA no longer knows the order; certmill starts a new one.',
  dns_record_required: 'Publish the DNS record shown for each name, then press "Records published".',
  dns_record_missing: 'The DNS record is not served by every authoritative server yet. certmill keeps looking every 15 seconds.',
  dns_zone_not_found: 'certmill cannot find the DNS zone of a record (no SOA above it).',
  dns_publish_failed: 'The DNS provider could not publish a record. certmill tries again by itself.',
  dns_propagation_timeout: 'A published record did not reach every authoritative server in time.',
  dns_provider_missing: "The order's DNS provider was deleted.",
  preflight_failed: 'Some names failed the checks certmill makes before asking the CA (DNS, CAA, port 80): nothing was sent to the CA.',
  caa_forbids_ca: 'CAA records of the domain forbid this CA.',
  preflight_dns_error: 'A DNS lookup of the pre-flight checks failed (timeout, SERVFAIL). certmill tries again.',
  preflight_http_unavailable: "The HTTP-01 self-check met a busy front server. certmill tries again.",
  webroot_write_failed: 'The challenge file could not be written into the web root. certmill tries again.',
  profile_unsupported: 'The CA does not offer the requested profile.',
  unknown_ca: 'The worker has no configuration for the CA of this order (an operator mistake).',
  database_unavailable: 'certmill lost its database for a moment. It tries again by itself.',
  internal: "certmill's own failure (logged for the operator). It tries again by itself.",
};

// The plain sentence for a problem code (or null when there is none).
export function plainProblem(code) {
  return PLAIN[code] || null;
}

// The problem of an order or a revocation, in words: the plain sentence, then the detail as given.
// final: the order (or revocation) failed for good (red); otherwise it waits (amber). title overrides the API's.
export function problemBox(p, final = !p?.retryable, title = null) {
  if (!p) return null;
  const retrying = p.retryable && p.next_attempt_at;
  return h('div', { class: `problem ${final ? 'bad' : 'warn'}`, role: 'status' },
    h('strong', {}, title || p.title || 'Problem'), ' ',
    h('code', {}, p.code || ''),
    h('p', {}, PLAIN[p.code] || p.detail || ''),
    p.detail && PLAIN[p.code] ? h('p', { class: 'detail' }, p.detail) : null,
    p.ca_problem ? h('p', { class: 'detail' }, `The CA said: ${p.ca_problem.detail || p.ca_problem.type}`) : null,
    retrying ? h('p', {}, 'Next attempt ', timeEl(p.next_attempt_at), ` (${fmtRelative(p.next_attempt_at)}).`) : null);
}

// An API error as a message block (error state of a view or form).
export function errorBox(err, what) {
  const p = err.problem || {};
  return h('div', { class: 'problem bad', role: 'alert' },
    h('strong', {}, what ? `${what}: ` : '', p.title || err.message),
    p.code ? [' ', h('code', {}, p.code)] : null,
    p.detail && p.detail !== p.title ? h('p', {}, p.detail) : null,
    p.field ? h('p', {}, 'Field: ', h('code', {}, p.field)) : null);
}

export function loading(text = 'Loading…') {
  return h('p', { class: 'loading', role: 'status', 'aria-live': 'polite' }, text);
}

export function empty(text) {
  return h('p', { class: 'empty' }, text);
}

// A button that copies text to the clipboard (falls back to selecting it when the clipboard is refused).
export function copyButton(text, label) {
  const b = h('button', { type: 'button', class: 'copy', 'aria-label': `Copy ${label}` }, 'Copy');
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      b.textContent = 'Copied';
    } catch (_) {
      const ta = h('textarea', { class: 'offscreen' });
      ta.value = text;
      document.body.append(ta);
      ta.select();
      const ok = document.execCommand && document.execCommand('copy');
      ta.remove();
      b.textContent = ok ? 'Copied' : 'Select and copy';
    }
    setTimeout(() => { b.textContent = 'Copy'; }, 2000);
  });
  return b;
}

// A modal question with OK/Cancel (native <dialog>: Escape closes it, focus stays inside).
export function confirmDialog(title, body, okLabel, extra) {
  return new Promise((resolve) => {
    const d = h('dialog', { class: 'confirm', 'aria-labelledby': 'dlg-title' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'dlg-title' }, title),
        h('p', {}, body),
        extra || null,
        h('div', { class: 'actions' },
          h('button', { value: 'cancel', type: 'submit' }, 'Keep'),
          h('button', { value: 'ok', type: 'submit', class: 'danger' }, okLabel))));
    document.body.append(d);
    d.addEventListener('close', () => {
      const ok = d.returnValue === 'ok';
      d.remove();
      resolve(ok);
    });
    d.showModal();
  });
}

// Sets the page title and moves focus to the view's heading so screen readers and keyboards follow.
export function focusHeading(root) {
  const h1 = root.querySelector('h1');
  if (h1) {
    h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: true });
    document.title = `${h1.textContent} — certmill`;
  }
}
