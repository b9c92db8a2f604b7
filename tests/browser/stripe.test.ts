import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { shopHistory, startFakeStripe, type FakeAccount, type FakeStripe } from '../fakes/stripe.ts';
import { navTo, SCREENSHOTS, signInAsDemo, startBrowserSession } from './support.ts';

describe('connecting Stripe in a browser', () => {
  let fake: FakeStripe;
  let account: FakeAccount;
  let session: Awaited<ReturnType<typeof startBrowserSession>>;
  let page: Page;
  before(async () => {
    // Each answer of the fake waits a little, so the backfill takes seconds and its bar can be watched.
    // About twenty pages at 0.4 s each: the page, polling every 2 s, sees the bar at several points.
    fake = await startFakeStripe({ latencyMs: 400, account: () => account });
    account = shopHistory(fake, { now: Math.floor(Date.UTC(2026, 10, 25, 12) / 1000), days: 300, name: 'Harbor Coffee Roasters (Stripe)', currency: 'eur' });
    session = await startBrowserSession({
      config: { stripe: { secretKey: fake.secretKey, connectClientId: fake.clientId, webhookSecret: fake.webhookSecret, apiBase: fake.url, connectBase: fake.url } },
    });
    page = await session.browser.newPage({ viewport: { width: 1366, height: 900 } });
  });
  after(async () => {
    await session?.close();
    await fake?.close();
  });

  const netRevenue = async () => (await page.locator('.kpi', { hasText: 'Net revenue' }).first().locator('.kpi-value').innerText()).trim();

  test('an owner connects Stripe, watches the backfill bar move, and the dashboard changes', async () => {
    await signInAsDemo(page, session.baseUrl);
    const before = await netRevenue();

    await navTo(page, 'Connections');
    await page.click('button:has-text("Connect Stripe")');
    await page.waitForURL(/\/oauth\/authorize/);
    await page.screenshot({ path: `${SCREENSHOTS}/stripe-authorize.png` });
    await page.click('#authorize');
    await page.waitForURL(/\/connections$/);

    const readings: number[] = [];
    const deadline = Date.now() + 90_000;
    let shot = false;
    while (Date.now() < deadline) {
      if (await page.locator('#connection-stripe .badge', { hasText: 'Connected' }).count()) break;
      const bar = page.locator('#connection-stripe progress');
      if (await bar.count()) {
        const value = await bar.getAttribute('value');
        if (value !== null) readings.push(Number(value));
        if (!shot && Number(value) > 0) {
          await page.screenshot({ path: `${SCREENSHOTS}/stripe-backfill.png`, fullPage: true });
          shot = true;
        }
      }
      await page.waitForTimeout(200);
    }
    assert.ok(await page.locator('#connection-stripe .badge', { hasText: 'Connected' }).count(), `the backfill finished: ${await page.locator('#connection-stripe').innerText()}`);
    const intermediate = readings.filter((v) => v > 0 && v < 100);
    assert.ok(new Set(intermediate).size >= 2, `the bar moved through intermediate values: ${JSON.stringify(readings)}`);
    assert.match(await page.locator('#connection-stripe').innerText(), /Harbor Coffee Roasters \(Stripe\)/);
    await page.screenshot({ path: `${SCREENSHOTS}/stripe-connected.png`, fullPage: true });

    await navTo(page, 'Dashboard');
    const afterConnect = await netRevenue();
    assert.notEqual(afterConnect, before, 'the Stripe sales reached the dashboard');
    await page.screenshot({ path: `${SCREENSHOTS}/stripe-dashboard.png`, fullPage: true });
  });
});
