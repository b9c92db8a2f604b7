import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SCREENSHOTS, startBrowserSession } from './support.ts';

let session: Awaited<ReturnType<typeof startBrowserSession>>;
before(async () => {
  session = await startBrowserSession();
});
after(() => session.close());

test('the demo owner signs in, sees a business and switches to the other one', async () => {
  const page = await session.browser.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));

  await page.goto(`${session.baseUrl}/`);
  assert.match(page.url(), /\/login/);
  await page.fill('#f-email', 'demo@bursar.local');
  await page.fill('#f-password', 'bursar-demo');
  await page.click('button[type=submit]:has-text("Sign in")');
  await page.waitForURL(/\/b\/[0-9a-f-]{36}$/);
  const first = await page.locator('h1').innerText();
  assert.ok(['Harbor Design Studio', 'Northwind Goods'].includes(first), first);
  assert.ok((await page.locator('.kpi').count()) >= 4);
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/dashboard.png`, fullPage: true });

  const other = first === 'Northwind Goods' ? 'Harbor Design Studio' : 'Northwind Goods';
  await page.selectOption('#business-switcher', { label: other });
  await page.waitForFunction((name) => document.querySelector('h1')?.textContent === name, other);
  assert.equal(await page.locator('#business-switcher option:checked').innerText(), other);
  assert.match(await page.locator('[data-figure=revenue] .kpi-value').innerText(), /\$|€/);
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/switched.png`, fullPage: true });

  assert.deepEqual(problems, [], 'no script errors or CSP violations in the console');
});

test('a wrong password shows a message in place, without a page reload', async () => {
  const page = await session.browser.newPage();
  await page.goto(`${session.baseUrl}/login`);
  await page.fill('#f-email', 'demo@bursar.local');
  await page.fill('#f-password', 'not the password');
  await page.click('button[type=submit]:has-text("Sign in")');
  await page.locator('text=do not match an account').waitFor();
  assert.match(page.url(), /\/login$/);
  assert.equal(await page.inputValue('#f-email'), 'demo@bursar.local');
});
