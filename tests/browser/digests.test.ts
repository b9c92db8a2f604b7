import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { SCREENSHOTS, signInAsDemo, startBrowserSession } from './support.ts';
import { testConfig } from '../../services/core/config.ts';
import { createLogger } from '../../services/core/logger.ts';
import { fixedClock } from '../../services/core/clock.ts';
import { createWorker } from '../../services/jobs/worker.ts';
import { JOBS } from '../../jobs/registry.ts';
import * as digests from '../../services/email/digests.ts';

let session: Awaited<ReturnType<typeof startBrowserSession>>;
let businessId: string;
let outboxId: string;
let textPart: string;
let preferencesLink: string;

before(async () => {
  session = await startBrowserSession({ config: { operatorEmails: ['demo@bursar.local'] } });
  const { db } = session;
  businessId = (await db('businesses').orderBy('created_at').first('id')).id;
  // What a reader should see at its worst: a connection that needs reconnecting and a new recommendation.
  await db('integrations').insert({
    business_id: businessId,
    provider: 'shopify',
    status: 'needs_reconnect',
    account_name: 'northwind-goods.myshopify.com',
    needs_reconnect: true,
    last_error: 'The shop uninstalled the app',
    created_at: '2026-10-01T00:00:00Z',
    updated_at: '2026-11-20T00:00:00Z',
  });
  await db('recommendations').insert({
    business_id: businessId,
    rule: 'browser_test_rule',
    priority: 'medium',
    title: 'Move the slowest stock to a clearance sale',
    why: 'Three products sold nothing in thirty days while holding stock.',
    action: 'Discount them.',
    created_at: '2026-11-18T10:00:00Z',
    updated_at: '2026-11-18T10:00:00Z',
  });
  // The weekly digest of the week before, planned and sent into the outbox (no SendGrid key) by a worker of the test's own.
  const ctx = { db, clock: fixedClock('2026-11-25T07:00:00Z'), config: testConfig({ appUrl: session.baseUrl }), logger: createLogger('silent') };
  const planned = await digests.plan(ctx, 'weekly', '2026-11-25', { businessId });
  assert.equal(planned.planned, 1);
  await createWorker(ctx, JOBS).drain();
  const mail = await db('outbox').where({ template: 'digest' }).first();
  assert.ok(mail, 'the digest is in the outbox');
  outboxId = mail.id;
  textPart = mail.text;
  preferencesLink = /^<(.+)>$/.exec(mail.headers['List-Unsubscribe'])![1];
});
after(() => session.close());

async function colours(page: Page, selector: string) {
  return page
    .locator(selector)
    .first()
    .evaluate((el) => {
      const s = getComputedStyle(el);
      return { background: s.backgroundColor, color: s.color };
    });
}

/** The perceived lightness (0 dark … 255 light) of an rgb() colour. */
function lightness(rgb: string): number {
  const [r, g, b] = rgb.match(/\d+/g)!.map(Number);
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

test('the digest opened from the outbox reads well at 600 and 375 px, light and dark, with the text part’s figures', async () => {
  const context = await session.browser.newContext();
  const page = await context.newPage();
  await signInAsDemo(page, session.baseUrl);
  await page.goto(`${session.baseUrl}/dev/outbox`);
  await page.click(`a[href="/dev/outbox/${outboxId}"]`);
  assert.match(await page.locator('.mail-headers').innerText(), /List-Unsubscribe-Post\s+List-Unsubscribe=One-Click/);
  // The HTML body alone, as the outbox's frame shows it to a mail client's width.
  for (const width of [600, 375]) {
    for (const scheme of ['light', 'dark'] as const) {
      await page.setViewportSize({ width, height: 900 });
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(`${session.baseUrl}/dev/outbox/${outboxId}/html`);
      await page.screenshot({ path: `${SCREENSHOTS}/digest-${width}-${scheme}.png`, fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, `nothing wider than ${width} px`);
      const card = await colours(page, 'td.content');
      const text = await colours(page, 'h1');
      if (scheme === 'dark') {
        assert.ok(lightness(card.color) > 180, `light text in the dark (${card.color})`);
        assert.ok(lightness(text.color) > 180);
      } else {
        assert.ok(lightness(card.color) < 80, `dark text in the light (${card.color})`);
      }
      // Every figure row's value is in the text part too, the same.
      const rows = page.locator('tr[data-figure]');
      assert.equal(await rows.count(), 5);
      for (let i = 0; i < 5; i++) {
        const label = (await rows.nth(i).locator('td').nth(0).innerText()).trim();
        const value = (await rows.nth(i).locator('td').nth(1).innerText()).trim();
        assert.ok(textPart.includes(`${label}: ${value}`), `${label} ${value} in the text part`);
        const box = await rows.nth(i).boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= width, `the ${label} row fits`);
      }
      assert.equal(await page.locator('.bar-revenue').count(), 7);
      assert.match(await page.locator('table.alert').innerText(), /Shopify \(northwind-goods\.myshopify\.com\) stopped syncing/);
    }
  }
  // The footer's link is the List-Unsubscribe header's, the reader's own signed one.
  assert.equal(await page.locator('a', { hasText: 'Change how often, or unsubscribe' }).getAttribute('href'), preferencesLink);
  await context.close();
});

test('the footer’s link opens the preference in a browser with no session, and unsubscribes', async () => {
  const context = await session.browser.newContext();
  const page = await context.newPage();
  await page.goto(preferencesLink);
  assert.match(await page.locator('legend').innerText(), /Email digest for/);
  assert.equal(await page.locator('input[value="weekly"]').isChecked(), true);
  await page.check('input[value="off"]');
  await page.click('button:has-text("Save")');
  await page.locator('text=You are unsubscribed').waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/digest-unsubscribed.png`, fullPage: true });
  const pref = await session.db('digest_preferences').where({ business_id: businessId }).first();
  assert.equal(pref.frequency, 'off');
  await context.close();
});
