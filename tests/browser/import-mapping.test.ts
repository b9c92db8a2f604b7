import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { navTo, SCREENSHOTS, signInAsDemo, startBrowserSession } from './support.ts';

const REAL = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'imports', 'real');

describe('an upload maps itself and its preview follows the mapping, in a browser', () => {
  let session: Awaited<ReturnType<typeof startBrowserSession>>;
  let page: Page;
  before(async () => {
    session = await startBrowserSession();
    page = await session.browser.newPage({ viewport: { width: 1366, height: 900 } });
  });
  after(() => session.close());

  test('a PayPal activity download previews with its columns found; changing one updates the preview in place; it imports', async () => {
    await signInAsDemo(page, session.baseUrl);
    await navTo(page, 'Import');
    const action = await page.locator('form[enctype="multipart/form-data"]').getAttribute('action');
    assert.doesNotMatch(action ?? '', /_csrf/, 'no token in the upload URL');
    await page.setInputFiles('#file', path.join(REAL, 'paypal-de-activity.csv'));
    await page.click('button:has-text("Upload and preview")');
    await page.waitForSelector('text=Preview: the first rows as they will land');
    assert.equal(await page.locator('#m-amount option:checked').innerText(), 'Netto');
    assert.equal(await page.locator('#m-date_format').inputValue(), 'DD.MM.YYYY');
    const firstAmount = page.locator('#import-preview tbody tr').nth(1).locator('td.num');
    assert.equal((await firstAmount.innerText()).trim(), '-€6.19');
    await page.screenshot({ path: `${SCREENSHOTS}/import-mapping.png`, fullPage: true });

    // htmx: the page is not reloaded, the fragment is swapped (a marker set on the window survives).
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    await page.check('input[name="negate"]');
    await page.waitForFunction(() => document.querySelector('#import-preview tbody tr:nth-child(2) td.num')?.textContent?.trim() === '€6.19');
    assert.equal(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), true);
    await page.uncheck('input[name="negate"]');
    await page.waitForFunction(() => document.querySelector('#import-preview tbody tr:nth-child(2) td.num')?.textContent?.trim() === '-€6.19');

    await page.click('button:has-text("Import all rows")');
    await page.waitForSelector('text=Skipped as duplicates', { timeout: 30_000 });
    assert.equal(await page.locator('.kpi', { hasText: 'Imported' }).locator('.kpi-value').innerText(), '11');
  });
});
