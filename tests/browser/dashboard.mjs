// dashboard.mjs — the dashboard in a real browser: Playwright (playwright-core from web/'s
// lockfile) driving Debian's Chromium headless against a running stack.
//
// Walks what an operator does: a wrong key (clear error), the right key, request a
// certificate for a new name, watch it become issued without reloading, download it,
// revoke it; a manual dns-01 order shows the record to set. Screenshots of each view go to
// $CM_BROWSER_OUT/screenshots; the downloaded file and results.json (ids and what the page
// showed) go to $CM_BROWSER_OUT, for tests/integration/test_dashboard.py to check against
// the API and openssl.
//
// Env: CERTMILL_URL, CERTMILL_API_KEY, CM_BROWSER_OUT [var/browser], CM_CHROMIUM
// [/usr/bin/chromium], CM_BROWSER_SANDBOX [0 as root, else 1: Chromium refuses its sandbox as root].
// Exit 0 when every step passed, 1 with the failing step otherwise.

import { createRequire } from 'node:module';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import crypto from 'node:crypto';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const require = createRequire(path.join(repo, 'web', 'package.json'));
const { chromium } = require('playwright-core');

const base = (process.env.CERTMILL_URL || '').replace(/\/$/, '');
const key = process.env.CERTMILL_API_KEY || '';
if (!base || !key) {
  console.error('dashboard: CERTMILL_URL and CERTMILL_API_KEY are needed (source the stack.env)');
  process.exit(2);
}
const out = path.resolve(process.env.CM_BROWSER_OUT || path.join(repo, 'var', 'browser'));
const shots = path.join(out, 'screenshots');
// Only this run's pictures: a failure.png of an earlier run would mislead.
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const sandbox = process.env.CM_BROWSER_SANDBOX ? process.env.CM_BROWSER_SANDBOX === '1' : !root;
const results = {};
const tag = crypto.randomBytes(4).toString('hex');

let step = 'start';
function say(s) {
  step = s;
  console.log(`dashboard: ${s}`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

// The order page's status word, as the page shows it.
async function statusOn(page, id) {
  return page.locator(`#${id} .badge`).getAttribute('data-status');
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CM_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    chromiumSandbox: sandbox,
  });
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await ctx.newPage();
    const consoleErrors = [];
    // Script errors fail the run; Chromium's own lines about answers that were not 2xx (the
    // wrong key's 401) are expected.
    page.on('console', (m) => { if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 401/.test(m.text())) consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    page.setDefaultTimeout(20000);

    say('the key form');
    await page.goto(`${base}/?poll=1000`);
    await page.locator('#api-key').waitFor();
    await shot(page, '01-sign-in');

    say('a wrong key shows a clear error');
    await page.fill('#api-key', `cm_${'x'.repeat(43)}`);
    await page.keyboard.press('Enter');
    const err = page.locator('#login-error [role=alert]');
    await err.waitFor();
    const errText = await err.innerText();
    if (!/refused/i.test(errText)) throw new Error(`the wrong-key message says: ${errText}`);
    results.wrong_key_message = errText;
    if (await page.evaluate(() => sessionStorage.getItem('certmill.api_key'))) throw new Error('a refused key was stored');
    await shot(page, '02-wrong-key');

    say('the right key opens the attention view');
    await page.fill('#api-key', key);
    await page.keyboard.press('Enter');
    await page.locator('main h1', { hasText: 'Needs attention' }).waitFor();
    await page.locator('#attention .bar-title').waitFor();
    const stored = await page.evaluate(() => [sessionStorage.getItem('certmill.api_key'), localStorage.length, document.cookie]);
    if (stored[0] !== key || stored[1] !== 0 || stored[2] !== '') throw new Error('the key is not (only) in sessionStorage');
    await shot(page, '03-attention');

    say('request a certificate for a new name, with the keyboard');
    const name = `dash-${tag}.example.test`;
    results.http_name = name;
    await page.click('#nav a[data-section=new]');
    await page.locator('#f-names').waitFor();
    await page.fill('#f-names', name);
    // The DNS provider choice appears only for dns-01.
    await page.selectOption('#f-challenge', 'dns-01');
    if (!(await page.locator('#f-provider').isVisible())) throw new Error('no DNS provider choice for dns-01');
    await page.selectOption('#f-challenge', 'http-01');
    if (await page.locator('#f-provider').isVisible()) throw new Error('a DNS provider choice for http-01');
    await page.selectOption('#f-key', 'ec-p384');
    await page.fill('#f-ref', `dash-${tag}`);
    await shot(page, '04-request-form');
    await page.focus('#f-ref');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/orders\/ord_/);
    const orderId = decodeURIComponent(page.url().split('#/orders/')[1]);
    results.http_order_id = orderId;

    say('the order becomes issued without reloading');
    // A marker in the page's window: a reload would lose it.
    await page.evaluate(() => { window.__noReload = true; });
    let navigations = 0;
    page.on('framenavigated', (f) => { if (f === page.mainFrame() && !f.url().includes('#/')) navigations += 1; });
    await page.locator('#order-status .badge[data-status=issued]').waitFor({ timeout: 120000 });
    if (!(await page.evaluate(() => window.__noReload === true)) || navigations) throw new Error('the page reloaded');
    await page.locator('.timeline li').first().waitFor();
    results.timeline = await page.locator('.timeline li').allInnerTexts();
    await shot(page, '05-order-issued');

    say('the certificate page');
    await page.click('a.btn:has-text("Certificate")');
    await page.waitForURL(/#\/certificates\/crt_/);
    const certId = decodeURIComponent(page.url().split('#/certificates/')[1]);
    results.certificate_id = certId;
    await page.locator('#cert-status .badge[data-status=active]').waitFor();
    await shot(page, '06-certificate');

    say('download the full chain');
    // The PKCS #12 password is asked only for that format.
    await page.selectOption('#dl-format', 'pfx');
    if (!(await page.locator('input[name=password]').isVisible())) throw new Error('no password field for PKCS #12');
    await page.selectOption('#dl-format', 'pem_fullchain');
    if (await page.locator('input[name=password]').isVisible()) throw new Error('a password field for PEM');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('form.download button[type=submit]')]);
    const file = path.join(out, `${certId}-fullchain.pem`);
    await dl.saveAs(file);
    results.download = file;
    results.download_name = dl.suggestedFilename();

    say('certificates and the expiry calendar');
    await page.click('#nav a[data-section=certificates]');
    await page.locator('.calendar h2').waitFor();
    await page.locator(`tr[data-cert="${certId}"]`).waitFor();
    // The week the new certificate expires has a bar: the chart is drawn, the table counts it.
    await page.locator('.calendar .uplot canvas').waitFor();
    const weeks = await page.locator('.calendar table.weeks tbody tr').count();
    if (weeks < 1) throw new Error('the expiry calendar counts no week');
    await shot(page, '07-certificates');
    await page.click(`tr[data-cert="${certId}"] a`);
    await page.locator('#cert-status .badge[data-status=active]').waitFor();

    say('revoke it');
    await page.click('button:has-text("Revoke")');
    await page.locator('dialog[open]').waitFor();
    await page.selectOption('#revoke-reason', 'cessationOfOperation');
    await shot(page, '08-revoke-dialog');
    await page.click('dialog[open] button[value=ok]');
    await page.locator('#cert-status .badge[data-status=revoked]').waitFor({ timeout: 60000 });
    await shot(page, '09-revoked');

    say('a manual dns-01 order shows the record to set');
    const dnsName = `dash-dns-${tag}.example.test`;
    results.dns_name = dnsName;
    await page.click('#nav a[data-section=new]');
    await page.fill('#f-names', dnsName);
    await page.selectOption('#f-challenge', 'dns-01');
    await page.click('form.new-order button[type=submit]');
    await page.waitForURL(/#\/orders\/ord_/);
    results.dns_order_id = decodeURIComponent(page.url().split('#/orders/')[1]);
    await page.locator('#order-status .badge[data-status=action_required]').waitFor({ timeout: 60000 });
    const card = page.locator(`.authz[data-domain="${dnsName}"] .record`);
    await card.waitFor();
    results.dns_record = {
      name: await card.locator('.rec-name').innerText(),
      type: await card.locator('.rec-type').innerText(),
      value: await card.locator('.rec-value').innerText(),
    };
    if (!(await page.locator('button:has-text("Records published")').isVisible())) throw new Error('no "Records published" button');
    await shot(page, '10-manual-dns');

    say('the attention view lists the order waiting for the panel');
    await page.click('#nav a[data-section=""]');
    await page.locator(`.att-section a[href="#/orders/${encodeURIComponent(results.dns_order_id)}"]`).waitFor();
    await page.locator('#attention .att-action-required').waitFor();
    await shot(page, '11-attention-action');
    await page.goBack();
    await page.locator('#order-status .badge[data-status=action_required]').waitFor();

    say('the orders table, filtered');
    await page.click('#nav a[data-section=orders]');
    await page.locator('table.orders').waitFor();
    await page.selectOption('select[name=status]', 'issued');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/status=issued/);
    await page.locator(`tr[data-order="${orderId}"]`).waitFor();
    if (await page.locator(`tr[data-order="${results.dns_order_id}"]`).count()) throw new Error('the status filter kept an action_required order');
    await shot(page, '12-orders');

    say('phone width');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('#nav a[data-section=orders]');
    await page.locator('table.orders').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 2) throw new Error(`the orders view is ${overflow}px wider than a phone`);
    await shot(page, '13-phone-orders');
    await page.goto(`${base}/?poll=1000#/orders/${encodeURIComponent(results.dns_order_id)}`);
    await page.locator('.record').first().waitFor();
    await shot(page, '14-phone-manual-dns');

    // What the API asks for, read before the cancel (test_dashboard.py compares it with the page).
    const apiOrder = await (await fetch(`${base}/v1/orders/${encodeURIComponent(results.dns_order_id)}`,
      { headers: { Authorization: `Bearer ${key}` } })).json();
    results.dns_record_api = apiOrder.authorizations.map((a) => a.record);

    say('cancel the manual order');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.click('button:has-text("Cancel order")');
    await page.locator('dialog[open]').waitFor();
    await page.click('dialog[open] button[value=ok]');
    await page.locator('#order-status .badge[data-status=cancelled]').waitFor();
    if (await page.locator('.record').count()) throw new Error('a cancelled order still asks for its record');

    if (consoleErrors.length) throw new Error(`errors in the browser console: ${consoleErrors.join(' | ')}`);
    results.ok = true;
  } catch (e) {
    results.ok = false;
    results.failed_step = step;
    results.error = String(e && e.message ? e.message : e);
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages.length) await pages[0].screenshot({ path: path.join(shots, 'failure.png'), fullPage: true }).catch(() => {});
  } finally {
    await browser.close();
  }
  writeFileSync(path.join(out, 'results.json'), JSON.stringify(results, null, 2));
  if (!results.ok) {
    console.error(`dashboard: FAILED at "${results.failed_step}": ${results.error}`);
    process.exit(1);
  }
  console.log(`dashboard: all steps passed; screenshots in ${shots}`);
}

main().catch((e) => {
  console.error(`dashboard: FAILED at "${step}": ${e.stack || e}`);
  process.exit(1);
});
