// SPDX-License-Identifier: MIT
// The dashboard in a real browser (Debian's chromium, headless, driven by
// puppeteer-core): log in, open every page, filter petitions, edit one as a
// clerk, resolve a conflict, open the report and print it to PDF, work at a
// 360-pixel-wide viewport, log out. Screenshots go to OUT_DIR.
// usage: node ui.test.js UI_URL OUT_DIR PETITION_ID
'use strict';
const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');

const [ui, out, pid] = process.argv.slice(2);
let passed = 0;
let failed = 0;
function check(name, cond, detail) {
  if (cond) {
    passed++;
  } else {
    failed++;
    console.error(`FAIL: ${name}${detail ? ': ' + detail : ''}`);
  }
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(out, name + '.png'), fullPage: true });
}

async function h1(page) {
  return page.$eval('h1', (e) => e.textContent).catch(() => '');
}

async function go(page, url) {
  const r = await page.goto(ui + url, { waitUntil: 'load' });
  return r ? r.status() : 0;
}

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                     page.click(selector)]);
}

async function noOverflow(page, name) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  check(`${name} fits 360 px`, w <= 362, `scrollWidth ${w}`);
}

(async () => {
  fs.mkdirSync(out, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
           '--no-first-run', '--lang=vi'],
  });
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    // The refusals this test asks for on purpose (401, 403) are logged as
    // failed loads; anything else, a CSP violation say, is a problem.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      problems.push('console: ' + m.text());
  });
  page.on('dialog', (d) => d.accept());
  await page.setViewport({ width: 1280, height: 800 });

  // Not logged in: the login page.
  check('no session gets the login page', (await go(page, '/')) === 401);
  check('the login page is Vietnamese', (await h1(page)) === 'Đăng nhập');
  await shot(page, 'login');

  // Log in as the clerk.
  await page.type('input[name=user]', 'lan');
  await page.type('input[name=password]', 'mat-khau-lan');
  await submit(page, 'button.primary');
  await go(page, '/?from=2024-01-01&to=2024-12-31');
  check('logged in, the overview', (await h1(page)) === 'Tổng quan toàn huyện',
        await h1(page));
  check('the overview has a chart', (await page.$$('svg.chart rect')).length > 12);
  check('the overview lists the communes',
        (await page.$$eval('main table tbody tr', (r) => r.length)) >= 15);
  await shot(page, 'overview');

  // Every page.
  const pages = [['/petitions', 'Kiến nghị'], ['/conflicts', 'Xung đột'],
                 ['/report?from=2024-01-01&to=2024-12-31', 'Báo cáo'],
                 ['/devices', 'Thiết bị'], ['/log', 'Nhật ký đồng bộ'],
                 ['/communes/hoa-an', 'xã Hòa An'], ['/petitions/' + pid, 'Kiến nghị']];
  for (const [url, title] of pages) {
    const st = await go(page, url);
    check(`GET ${url}`, st === 200, `status ${st}`);
    check(`${url} is titled ${title}`, (await h1(page)) === title, await h1(page));
    const name = url.split('?')[0].replace(/^\//, '').replace(/\/[0-9a-f]{32}$/, '-show')
        .replace(/\//g, '-');
    await shot(page, name);
  }
  check('a clerk sees no users page', (await go(page, '/users')) === 403);

  // Filter petitions: a select submits by itself (app.js), search ignores
  // diacritics.
  await go(page, '/petitions');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                     page.select('select[name=category]', 'water')]);
  check('choosing a category filters at once', page.url().includes('category=water'),
        page.url());
  const waterRows = await page.$$eval('main table tbody tr', (r) => r.length);
  check('the water petitions', waterRows === 1, `${waterRows} rows`);
  await go(page, '/petitions');
  await page.type('input[name=q]', 'nguyen van bin');
  await submit(page, 'form.filters button.primary');
  const found = await page.$$eval('main table tbody tr', (r) => r.map((x) => x.textContent));
  check('search without diacritics finds Nguyễn Văn Bình',
        found.length === 1 && found[0].includes('Nguyễn Văn Bình'), JSON.stringify(found));
  await shot(page, 'petitions-search');

  // Edit as the clerk.
  await go(page, '/petitions/' + pid);
  await page.select('select[name=status]', 'answered');
  await page.$eval('textarea[name=response]', (t) => { t.value = ''; });
  await page.type('textarea[name=response]', 'Điện lực đã sửa xong đường dây.');
  await submit(page, 'form[action^="/petitions/"] button.primary');
  const saved = await page.$eval('.msg.ok', (e) => e.textContent).catch(() => '');
  check('the edit is saved', saved.startsWith('Đã lưu'), saved);
  check('the form shows the new status',
        (await page.$eval('select[name=status]', (s) => s.value)) === 'answered');
  const hist = await page.$$eval('main table tbody tr', (r) => r.map((x) => x.textContent));
  check('the history names the clerk', hist.some((t) => t.includes('user lan')),
        JSON.stringify(hist));
  await shot(page, 'petition-edited');

  // Resolve the conflict.
  await go(page, '/conflicts');
  const values = await page.$$eval('.card .stat', (s) => s.length);
  check('the conflict shows both values', values === 2, `${values} values`);
  await shot(page, 'conflicts');
  await submit(page, 'form[action="/conflicts/resolve"] button');
  const none = await page.$eval('.msg.ok', (e) => e.textContent).catch(() => '');
  check('the conflict is resolved', none.includes('Không có xung đột'), none);

  // The report, printable, to PDF.
  await go(page, '/report?from=2024-01-01&to=2024-12-31');
  const link = await page.$eval('a.button', (a) => a.getAttribute('href'));
  check('the report links its printable page', link.startsWith('/report/html'), link);
  const st = await go(page, link.replace(/&amp;/g, '&'));
  check('the printable report opens', st === 200, `status ${st}`);
  const body = await page.evaluate(() => document.body.innerText);
  check('the printable report has the national motto',
        body.includes('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM'));
  await shot(page, 'report-print');
  const pdf = path.join(out, 'report.pdf');
  await page.pdf({ path: pdf, format: 'A4', printBackground: false });
  const head = fs.readFileSync(pdf).subarray(0, 5).toString();
  check('the report prints to PDF', head === '%PDF-' && fs.statSync(pdf).size > 2000,
        `${head} ${fs.statSync(pdf).size} bytes`);

  // A district officer's phone: 360 px wide.
  await page.setViewport({ width: 360, height: 740, isMobile: true, deviceScaleFactor: 1 });
  for (const url of ['/', '/petitions', '/petitions/' + pid, '/report']) {
    await go(page, url);
    await noOverflow(page, url);
  }
  await go(page, '/communes/hoa-an?from=2024-01-01&to=2024-12-31');
  await shot(page, 'mobile-overview');
  await go(page, '/petitions/' + pid);
  await shot(page, 'mobile-petition');
  await page.setViewport({ width: 1280, height: 800 });

  // Log out: the session is gone.
  await go(page, '/');
  await submit(page, 'header form button');
  check('logged out, the login page', (await h1(page)) === 'Đăng nhập', await h1(page));
  check('no page after logout', (await go(page, '/petitions')) === 401);

  check('no script errors and no blocked resources', problems.length === 0,
        problems.join('; '));
  await browser.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch((e) => {
  console.error('FAIL: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
