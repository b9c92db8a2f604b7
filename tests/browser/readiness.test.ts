import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { SCREENSHOTS, signInAsDemo, startBrowserSession } from './support.ts';

let session: Awaited<ReturnType<typeof startBrowserSession>>;
let page: Page;
let storeId: string;
const problems: string[] = [];

before(async () => {
  session = await startBrowserSession({ days: 400 });
  storeId = (await session.db('businesses').where({ name: 'Northwind Goods' }).first('id')).id;
  page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
  await signInAsDemo(page, session.baseUrl);
});
after(() => session.close());

test('the readiness page shows the score, a breakdown that adds up, and its history', async () => {
  await page.goto(`${session.baseUrl}/b/${storeId}/readiness`);
  const score = Number((await page.locator('.score-value').innerText()).split('/')[0]);
  const points = await page.locator('table.breakdown tbody td.num').allInnerTexts();
  assert.equal(points.length, 10);
  assert.equal(
    points.reduce((s, p) => s + Number(p.split('/')[0]), 0),
    score,
  );
  assert.ok(await page.locator('svg.sparkline polyline').isVisible());
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/readiness.png`, fullPage: true });
});

test('a recommendation is dismissed in place and found under its filter', async () => {
  await page.goto(`${session.baseUrl}/b/${storeId}/recommendations`);
  const first = page.locator('#recommendation-list article.rec').first();
  const title = await first.locator('h3').innerText();
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/recommendations.png`, fullPage: true });
  await first.locator('button[value=dismissed]').click();
  await page.locator(`#recommendation-list article.rec:has-text("${title}") .badge:has-text("Dismissed")`).waitFor();
  await page.selectOption('select[name=status]', 'dismissed');
  await page.waitForURL(/status=dismissed/);
  await page.locator(`#recommendation-list h3:has-text("${title}")`).waitFor();
  assert.deepEqual(problems, [], 'no script errors or CSP violations');
});
