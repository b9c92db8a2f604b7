import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { SCREENSHOTS, navTo, signInAsDemo, startBrowserSession } from './support.ts';

let session: Awaited<ReturnType<typeof startBrowserSession>>;
before(async () => {
  session = await startBrowserSession();
});
after(() => session.close());

/** The list's count and total as the page shows them, once its totals have loaded. */
async function shownTotals(page: Page): Promise<{ text: string; count: number; cents: number }> {
  const text = (
    await page
      .locator('#expense-totals')
      .filter({ has: page.locator('strong') })
      .innerText()
  ).trim();
  // The figure's label ends with its link to the glossary (“?”).
  const m = /^([\d,]+) expenses? · total spent (\D*)([\d,]+\.\d\d)(?: \?)?$/.exec(text);
  assert.ok(m, `totals read "${text}"`);
  return { text, count: Number(m[1].replaceAll(',', '')), cents: Math.round(Number(m[3].replaceAll(',', '')) * 100) };
}

/** Waits until the totals on the page are no longer `previous` (the out-of-band swap has landed). */
async function totalsAfter(page: Page, previous: string) {
  await page.waitForFunction((prev) => {
    const el = document.querySelector('#expense-totals');
    return el?.querySelector('strong') && el.textContent?.trim() !== prev;
  }, previous);
  return shownTotals(page);
}

test('after an inline edit and an inline delete, the expense list’s count and total are the ones a reload shows', async () => {
  const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
  await signInAsDemo(page, session.baseUrl);
  await navTo(page, 'Expenses');
  await page.waitForURL(/\/expenses$/);
  const before = await shownTotals(page);

  // Edit the newest expense's amount in place: the count stays, the total moves by the difference.
  const row = page.locator('#expense-rows tr').first();
  const id = (await row.getAttribute('id'))!.replace('expense-', '');
  const stored = await session.db('transactions').where({ id }).first('amount_base', 'currency');
  const business = await session.db('businesses as b').join('transactions as t', 't.business_id', 'b.id').where('t.id', id).first('b.currency');
  assert.equal(stored.currency, business.currency, 'a row in the base currency, so its amount is what the total adds');
  await row.locator('a:has-text("Edit")').click();
  const editing = page.locator(`#expense-${id}.editing`);
  await editing.waitFor();
  await editing.locator('input[name=amount]').fill('1234.56');
  await editing.locator('button:has-text("Save")').click();
  const edited = await totalsAfter(page, before.text);
  assert.equal(edited.count, before.count);
  assert.equal(edited.cents, before.cents + 123_456 + Number(stored.amount_base), 'the total moved by the new amount less the old one');
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/expense-totals-edited.png`, fullPage: false });

  // Delete it inline: one expense fewer, and its amount off the total.
  await page.locator(`#expense-${id} button:has-text("Delete")`).click();
  await page.locator(`#expense-${id}.deleted`).waitFor();
  const deleted = await totalsAfter(page, edited.text);
  assert.equal(deleted.count, before.count - 1);
  assert.equal(deleted.cents, edited.cents - 123_456);
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/expense-totals-deleted.png`, fullPage: false });

  await page.reload();
  await page.locator('#expense-totals strong').waitFor();
  assert.deepEqual(await shownTotals(page), deleted, 'a reload shows the figures the swaps left on the page');

  // The same with a filter: the totals that come back are the filter's, not the whole list's.
  await page.fill('#q', 'Payroll');
  await page.press('#q', 'Enter');
  await page.waitForURL(/q=Payroll/, { waitUntil: 'commit' });
  const filtered = await totalsAfter(page, deleted.text);
  const payroll = page.locator('#expense-rows tr').first();
  const payrollId = (await payroll.getAttribute('id'))!.replace('expense-', '');
  const payrollAmount = -Number((await session.db('transactions').where({ id: payrollId }).first('amount_base')).amount_base);
  await payroll.locator('button:has-text("Delete")').click();
  const fewer = await totalsAfter(page, filtered.text);
  assert.equal(fewer.count, filtered.count - 1);
  assert.equal(fewer.cents, filtered.cents - payrollAmount);
  await page.reload();
  await page.locator('#expense-totals strong').waitFor();
  assert.deepEqual(await shownTotals(page), fewer);
  assert.deepEqual(problems, [], 'no script errors, CSP violations or out-of-band swaps without a target');
});

test('a link in an answer in the chat drawer opens its page, on the answer’s range, as a whole page', async () => {
  const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signInAsDemo(page, session.baseUrl);
  await page.click('[data-chat-drawer] summary');
  await page.fill('[data-chat-drawer] textarea[name=message]', 'How did we do last month?');
  await page.press('[data-chat-drawer] textarea[name=message]', 'Enter');
  const link = page.locator('[data-chat-drawer] .msg-assistant:not(.msg-live) a', { hasText: 'P&L 2026-10-01 to 2026-10-31' });
  await link.waitFor({ timeout: 15_000 });
  await link.click();
  await page.waitForURL(/\/pnl\?preset=custom&from=2026-10-01&to=2026-10-31$/);
  await page.locator('#pnl-statement').waitFor();
  assert.equal(await page.locator('[data-chat-drawer]').count(), 1, 'one drawer: the page was not rendered inside the one it came from');
  assert.equal(await page.locator('[data-chat-drawer] #pnl-statement').count(), 0);
  assert.equal(await page.inputValue('#pnl-statement input[name=from]'), '2026-10-01');
  assert.equal(await page.inputValue('#pnl-statement input[name=to]'), '2026-10-31');
});
