// The web office in a real browser: Debian's headless chromium driven by
// playwright-core.  Started by tests/integration/test_web_browser.py, which
// starts the server, broker and a sim terminal and fills the data; this
// script gets them in TT_WEB (JSON: url, user, password, socket, shots,
// downloads, instance, asset and its archive's expected texts, badItem) and prints one JSON line of
// results; any failed check exits 1 with the reason.
import { chromium } from 'playwright-core';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';

const cfg = JSON.parse(process.env.TT_WEB || '{}');
const slow = Number(process.env.TT_SLOW || '1');
const T = (ms) => ms * slow;
const results = { checks: [] };
const problems = [];   // console errors, CSP violations, failed requests

function check(cond, what) {
  results.checks.push(what);
  if (!cond) throw new Error('check failed: ' + what);
}

// One command on the terminal's control socket -> its reply line.
function control(line) {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(cfg.socket);
    let buf = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write(line + '\n'));
    s.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) { s.end(); resolve(buf.split('\n')[0]); }
    });
    s.on('error', reject);
  });
}

async function shot(page, name) {
  const file = path.join(cfg.shots, name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  results.checks.push('screenshot ' + name);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1366, height: 860 }, locale: 'zh-CN' });
  const page = await context.newPage();
  page.setDefaultTimeout(T(15000));
  // 401s are expected before signing in (who am I?) and for the wrong password.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push('console: ' + m.text());
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));

  // Sign in (Chinese by default).
  await page.goto(cfg.url + '/');
  await page.waitForSelector('#signin-form');
  check((await page.textContent('h1')) === '登录', 'the sign-in page is in Chinese');
  await page.fill('#signin-form input[name=user]', cfg.user);
  await page.fill('#signin-form input[name=password]', 'wrong password!');
  await page.click('#signin-form button[type=submit]');
  await page.waitForSelector('#signin-form p.error:not(:empty)');
  check((await page.textContent('#signin-form p.error')).includes('错误'), 'a wrong password is refused');
  await page.fill('#signin-form input[name=password]', cfg.password);
  await page.click('#signin-form button[type=submit]');
  await page.waitForSelector('#cards [data-card=stock_value]');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'tt_session');
  check(session && session.httpOnly && session.sameSite === 'Strict', 'the session cookie is HttpOnly and SameSite=Strict');
  check(!(await page.evaluate(() => document.cookie)).includes('tt_session'), 'scripts cannot read the session cookie');
  await shot(page, '01-overview');

  // A scan at the counter shows on the overview by itself.
  const before = await page.textContent('#recent');
  const seq = await control(`scan receive W01 zhang3 ${cfg.scanItem} 3`);
  check(/^ok \d+$/.test(seq), 'the sim terminal took the scan: ' + seq);
  const n = seq.slice(3);
  await page.waitForFunction(([item, s]) => {
    for (const tr of document.querySelectorAll('#recent tbody tr')) {
      const cells = [...tr.children].map((td) => td.textContent);
      if (cells.includes(item) && cells.includes(s) && cells.includes('T01')) return true;
    }
    return false;
  }, [cfg.scanItem, n], { timeout: T(30000) });
  check(before !== (await page.textContent('#recent')), 'the scan arrived on the open overview without a reload');
  await shot(page, '02-overview-scan-arrived');

  // The issuance ledger, filtered, and its XLSX with the same filter.
  await page.click('nav a[data-nav=issues]');
  await page.waitForSelector('#issues-filters');
  await page.waitForSelector('.report[data-route="/api/v1/ledger/issues"] table');
  await page.fill('#issues-filters input[name=item]', cfg.filterItem);
  await page.click('#issues-filters button[type=submit]');
  await page.waitForFunction((item) => {
    const rows = [...document.querySelectorAll('.report[data-route="/api/v1/ledger/issues"] tbody tr:not(.total)')];
    return rows.length > 0 && rows.every((tr) => [...tr.children].some((td) => td.textContent === item));
  }, cfg.filterItem);
  const href = await page.getAttribute('.report[data-route="/api/v1/ledger/issues"] a[data-export=xlsx]', 'href');
  check(href.includes('item=' + encodeURIComponent(cfg.filterItem)) && href.includes('format=xlsx'), 'the XLSX link carries the filter: ' + href);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('.report[data-route="/api/v1/ledger/issues"] a[data-export=xlsx]'),
  ]);
  const xlsx = path.join(cfg.downloads, 'issues.xlsx');
  await download.saveAs(xlsx);
  check(fs.readFileSync(xlsx).subarray(0, 2).toString() === 'PK', 'the download is an XLSX (zip) file');
  results.xlsx = xlsx;
  results.xlsxName = download.suggestedFilename();
  await shot(page, '03-issues-filtered');

  // Text from the data is text: an item named like markup stays text.
  check(await page.evaluate((bad) => [...document.querySelectorAll('.report td')].some((td) => td.textContent === bad), cfg.badName),
    'the item name with markup is shown as its text');
  check(await page.evaluate(() => !document.querySelector('main img') && !window.__xss), 'markup in the data is never run');

  // Stock, and a row's lots.
  await page.goto(cfg.url + '/#/stock');
  await page.waitForSelector('#stock-list table');
  await page.fill('#stock-filters input[name=item]', cfg.scanItem);
  await page.click('#stock-filters button[type=submit]');
  await page.waitForFunction((item) => { const rows = document.querySelectorAll('#stock-list tbody tr');
    return rows.length > 0 && [...rows].every((tr) => tr.children[1].textContent === item); }, cfg.scanItem);
  await page.click('#stock-list tbody tr');
  await page.waitForSelector('.report[data-route="/api/v1/stock/lots"] table');
  await shot(page, '04-stock-lots');

  // Approve a plan step in the inbox.
  await page.click('nav a[data-nav=inbox]');
  await page.waitForSelector(`#inbox a[data-open^="${cfg.instance}/"]`);
  await shot(page, '05-inbox');
  await page.click(`#inbox a[data-open^="${cfg.instance}/"]`);
  await page.waitForSelector('form[data-token] select[name=action]');
  await page.selectOption('form[data-token] select[name=action]', cfg.approveAction);
  await page.click('form[data-token] button[type=submit]');
  await page.waitForSelector('#act-done');
  check((await page.textContent('#instance-log')).includes(cfg.approveAction), 'the approval is in the instance history');
  await shot(page, '06-instance-approved');

  // The equipment by state, the repair cycle chart, and an asset's archive.
  await page.click('nav a[data-nav=equipment]');
  await page.waitForSelector(`#equipment-list a[data-asset="${cfg.asset}"]`);
  await page.waitForSelector('#cycle-chart svg');
  await page.waitForSelector('#repair-cycles table');
  check(!(await page.$('#equipment-interim')), 'the equipment page is no longer interim');
  check((await page.textContent('#equipment-list')).includes('已验收'), "the list shows the asset's state in Chinese");
  check((await page.getAttribute('#equipment-list a[data-export=csv]', 'href')).startsWith('/api/v1/equipment?'),
    'the list links its CSV download');
  check((await page.textContent('#repair-cycles')).includes('鉴定→自检合格'), 'the cycle times name the stages');
  await shot(page, '07-equipment');
  await page.click(`#equipment-list a[data-asset="${cfg.asset}"]`);
  await page.waitForSelector('#asset-card .card');
  check((await page.textContent('#asset-card')).includes(cfg.assetModel), "the asset's archive shows its register row");
  await page.waitForSelector('#asset-archive tbody tr');
  const archiveText = await page.textContent('#asset-archive');
  // the appraisal of an asset in use implied its intake: four documents
  check((await page.$$('#asset-archive tbody tr')).length === 4, 'the archive lists the four repair documents');
  for (const want of ['li4', cfg.assetPeople, cfg.assetLabour, cfg.assetConsumable, '接收', '鉴定', '自检', '验收'])
    check(archiveText.includes(want), `the archive shows ${want}`);
  const archiveXlsx = await page.getAttribute('#asset-archive a[data-export=xlsx]', 'href');
  check(archiveXlsx.includes('asset=' + encodeURIComponent(cfg.asset)) && archiveXlsx.includes('format=xlsx'),
    "the archive's XLSX link names the asset: " + archiveXlsx);
  await shot(page, '08-asset-archive');

  // The fleet, and English.
  await page.click('nav a[data-nav=fleet]');
  await page.waitForSelector('#fleet tbody tr');
  check((await page.textContent('#fleet')).includes('T01'), 'the fleet lists the terminal');
  await page.click('#lang-switch');
  await page.waitForFunction(() => document.querySelector('nav a[data-nav=overview]')?.textContent === 'Overview');
  await shot(page, '09-fleet-english');

  // A tablet.
  await page.setViewportSize({ width: 820, height: 1180 });
  await page.goto(cfg.url + '/#/overview');
  await page.waitForSelector('#cards [data-card=stock_value]');
  check(await page.isVisible('#menu-toggle'), 'on a tablet the navigation folds into a menu');
  await shot(page, '10-overview-tablet');

  check(problems.length === 0, 'no console errors or content-security-policy violations: ' + problems.join(' | '));
  console.log(JSON.stringify({ ok: true, ...results }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e && e.stack || e), problems, ...results }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
