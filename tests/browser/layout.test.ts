import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { SCREENSHOTS, signInAsDemo, startBrowserSession } from './support.ts';
import { reachablePages, seriousViolations } from './walk.ts';

// Longer than any name the settings form takes (120), and without a space to break it at.
const LONG_NAME = `Northwind${'W'.repeat(111)}`;

describe('every page on a phone, for keyboard users and screen readers, in light and dark', () => {
  let session: Awaited<ReturnType<typeof startBrowserSession>>;
  let context: BrowserContext;
  let page: Page;
  let storeId: string;
  let pages: string[];
  const problems: string[] = [];

  before(async () => {
    session = await startBrowserSession();
    storeId = (await session.db('businesses').where({ name: 'Northwind Goods' }).first('id')).id;
    await session.db('businesses').where({ id: storeId }).update({ name: LONG_NAME });
    // The CSP keeps inline scripts out; bypassing it here is what lets axe be injected.
    context = await session.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    page = await context.newPage();
    page.on('pageerror', (err) => problems.push(err.message));
    await signInAsDemo(page, session.baseUrl);
    // Detail pages exist only once something was made: a scenario and a conversation.
    await page.goto(`${session.baseUrl}/b/${storeId}/scenarios`);
    await page.fill('#s-name', 'Price up 5%');
    await page.fill('#s-price_change', '5');
    await page.click('button:has-text("Save and compare")');
    await page.waitForURL(/\/scenarios\/[0-9a-f-]{36}$/);
    await page.goto(`${session.baseUrl}/b/${storeId}/chat`);
    await page.fill('#main textarea[name=message]', "What's my runway?");
    await page.keyboard.press('Enter');
    await page.locator('#main .msg-assistant:not(.msg-live)').first().waitFor({ timeout: 15_000 });
    pages = await reachablePages(page, session.baseUrl, storeId);
  });
  after(() => session.close());

  test('the walk reaches the business pages, a detail page of each kind and the account pages', () => {
    for (const path of ['', '/expenses', '/pnl', '/forecast', '/readiness', '/rules', '/categories', '/settings']) assert.ok(pages.includes(`/b/${storeId}${path}`), path);
    for (const shape of [/\/scenarios\/[0-9a-f-]{36}$/, /\/chat\/[0-9a-f-]{36}$/, /\/expenses\/[0-9a-f-]{36}\/edit$/, /\/pnl\/rows\?/])
      assert.ok(
        pages.some((p) => shape.test(p)),
        String(shape),
      );
    assert.ok(pages.includes('/account/profile'));
    assert.ok(pages.length >= 30, `${pages.length} pages`);
  });

  test('at 390 px no page is wider than the screen, and the header stays short', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const wide: string[] = [];
    for (const path of pages) {
      await page.goto(session.baseUrl + path);
      const [scroll, client, header] = await page.evaluate(() => [
        document.documentElement.scrollWidth,
        document.documentElement.clientWidth,
        document.querySelector('header.topbar')!.getBoundingClientRect().height,
      ]);
      if (scroll > client) wide.push(`${path}: ${scroll} px`);
      assert.ok(header <= 100, `${path}: header ${header} px high`);
    }
    assert.deepEqual(wide, []);
    const shots: [string, string][] = [
      ['', 'dashboard'],
      ['/expenses', 'expenses'],
      ['/pnl', 'pnl'],
      ['/forecast', 'forecast'],
      ['/readiness', 'readiness'],
    ];
    for (const [path, name] of shots) {
      await page.goto(`${session.baseUrl}/b/${storeId}${path}`);
      await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/phone-${name}.png`, fullPage: true });
    }
  });

  test('a long business name is cut to one line and shown whole on hover', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${session.baseUrl}/b/${storeId}`);
    const h1 = page.locator('h1');
    assert.equal(await h1.getAttribute('title'), LONG_NAME);
    const [height, lineHeight] = await h1.evaluate((el) => [el.getBoundingClientRect().height, Number.parseFloat(getComputedStyle(el).lineHeight)]);
    assert.ok(height < lineHeight * 1.5, 'one line');
    await h1.hover();
    assert.ok((await h1.evaluate((el) => el.getBoundingClientRect().height)) > lineHeight * 2, 'whole on hover');
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390);
  });

  test('a keyboard user skips to the content with the first Tab, and sees where the focus is', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${session.baseUrl}/b/${storeId}/expenses`);
    await page.keyboard.press('Tab');
    const skip = await page.evaluate(() => [document.activeElement?.textContent, getComputedStyle(document.activeElement!).top]);
    assert.equal(skip[0], 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement!;
      return { inMain: Boolean(el.closest('main')), outline: getComputedStyle(el).outlineStyle };
    });
    assert.ok(focused.inMain, 'the next Tab is inside the page content');
    assert.notEqual(focused.outline, 'none');
    assert.equal(await page.locator('header.topbar nav[aria-label=Business]').count(), 1);
    assert.equal(await page.locator('main#main').count(), 1);
  });

  test('axe finds nothing serious or critical on any page, light or dark', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    const found: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const path of pages) {
        await page.goto(session.baseUrl + path);
        for (const v of await seriousViolations(page)) found.push(`${scheme} ${path}: ${v}`);
      }
    }
    await page.goto(`${session.baseUrl}/b/${storeId}`);
    await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/dashboard-dark.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    assert.deepEqual(found, []);
    assert.deepEqual(problems, [], 'no script errors');
  });

  test('a printed P&L of twelve months fits the width of a landscape A4 page, without navigation', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${session.baseUrl}/b/${storeId}/pnl?preset=custom&from=2025-12-01&to=2026-11-30`);
    assert.equal(await page.locator('table.pnl thead th.num').count(), 13, 'twelve months and the total');
    await page.emulateMedia({ media: 'print' });
    // A4 landscape is 297 mm wide; less 12 mm margins each side, 273 mm = 1032 CSS px.
    await page.setViewportSize({ width: 1032, height: 730 });
    const printed = await page.evaluate(() => ({
      width: document.documentElement.scrollWidth,
      table: document.querySelector('table.pnl')!.getBoundingClientRect().right,
      nav: [...document.querySelectorAll('header, nav, form, button, #chat-drawer')].filter((el) => (el as HTMLElement).offsetParent !== null).length,
      head: document.querySelector('.print-header')!.textContent,
      range: document.querySelector('.print-range')?.textContent ?? '',
    }));
    await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/pnl-print.png`, fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    assert.ok(printed.width <= 1032 && printed.table <= 1032, `${printed.width} / ${printed.table} px`);
    assert.equal(printed.nav, 0, 'no navigation, forms or buttons on paper');
    assert.match(printed.head ?? '', new RegExp(`${LONG_NAME}.*Printed`, 's'));
    assert.match(printed.range, /Dec 1, 2025.*Nov 30, 2026/);
  });
});
