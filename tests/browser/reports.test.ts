import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { SCREENSHOTS, signInAsDemo, startBrowserSession, navTo } from './support.ts';

let session: Awaited<ReturnType<typeof startBrowserSession>>;
let page: Page;
const problems: string[] = [];

// A longer demo history than the sign-in test: the forecast's backtest and the yearly seasonality need it.
before(async () => {
  session = await startBrowserSession({ days: 400 });
  page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
  await signInAsDemo(page, session.baseUrl);
  if ((await page.locator('h1').innerText()) !== 'Northwind Goods') {
    await page.selectOption('#business-switcher', { label: 'Northwind Goods' });
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Northwind Goods');
  }
});
after(() => session.close());

test('the dashboard draws a trend chart per figure and swaps the cards when the period changes', async () => {
  await page.locator('[data-figure=revenue] .spark canvas').waitFor();
  // One per figure of the range; burn and runway are of today and have no trend.
  assert.ok((await page.locator('.spark canvas').count()) >= 5);
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/dashboard-northwind.png`, fullPage: true });
  await page.selectOption('#preset-dashboard-cards', 'last_12_months');
  await page.waitForURL(/preset=last_12_months/);
  await page.locator('[data-figure=revenue] .spark canvas').waitFor();
  assert.match(await page.locator('#dashboard-cards .muted.small').first().innerText(), /Dec 1, 2025/);
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/dashboard-12-months.png`, fullPage: true });
});

test('a P&L cell opens the ledger rows behind it', async () => {
  await navTo(page, 'P&L');
  await page.locator('table.pnl').waitFor();
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/pnl.png`, fullPage: true });
  await page.locator('tr[data-line=gross_sales] td a').first().click();
  await page.waitForURL(/\/pnl\/rows\?line=gross_sales/);
  assert.ok((await page.locator('tr[data-row]').count()) > 10);
  await page.click('text=Load more');
  await page.waitForFunction(() => document.querySelectorAll('tr[data-row]').length > 50);
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/pnl-drilldown.png`, fullPage: false });
});

/** Hovers the middle of a chart and returns its legend's read-out. */
async function hover(selector: string): Promise<string> {
  const chart = page.locator(selector).first();
  await chart.scrollIntoViewIfNeeded();
  const box = (await chart.locator('.u-over').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  return chart.locator('.u-legend').innerText();
}

test('the forecast draws its fan chart and the backtest; a scenario compares with the baseline', async () => {
  await navTo(page, 'Forecast');
  await page.locator('[data-chart=forecast-fan] canvas').waitFor();
  await page.locator('[data-chart=backtest-fan] canvas').waitFor();
  // Read in money, as the tables are: dollars and cents with the sign, not "P50: 10,378,229" in cents.
  const readOut = await hover('[data-chart=forecast-fan]');
  assert.match(readOut, /P50:?\s*-?\$\d{1,3}(,\d{3})*\.\d\d/, readOut);
  assert.match(readOut, /[A-Z][a-z]{2} \d{1,2}, 20\d\d/, `the hovered day as a date: ${readOut}`);
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/forecast.png`, fullPage: true });
  await navTo(page, 'Scenarios');
  await page.fill('#s-name', 'Hire and a loan');
  await page.fill('#s-hire_monthly_cost', '6,000');
  await page.fill('#s-hire_from', '2027-01-01');
  await page.fill('#s-loan_amount', '50,000');
  await page.fill('#s-loan_on', '2026-12-15');
  await page.fill('#s-loan_monthly_repayment', '2,300');
  await page.fill('#s-loan_months', '24');
  await page.fill('#s-price_change', '5');
  await page.click('button:has-text("Save and compare")');
  await page.waitForURL(/\/scenarios\/[0-9a-f-]{36}$/);
  await page.locator('[data-chart=scenario-fan] canvas').waitFor();
  assert.match(await hover('[data-chart=scenario-fan]'), /Baseline P50:?\s*-?\$\d{1,3}(,\d{3})*\.\d\d/);
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/scenario.png`, fullPage: true });
  await navTo(page, 'Metrics');
  await page.locator('[data-chart=metrics-history] canvas').first().waitFor();
  assert.match(await hover('[data-chart=metrics-history]'), /Net revenue, 30 days:?\s*-?\$\d{1,3}(,\d{3})*\.\d\d/);
  // A title says the range the chart spans, not only the window each point sums.
  assert.match(await page.locator('.card h2', { hasText: 'Revenue and net profit' }).innerText(), /\w{3} \d{1,2}, 20\d\d to Nov 25, 2026/);
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/metrics.png`, fullPage: true });
  assert.deepEqual(problems, [], 'no script errors or CSP violations in the console');
});
