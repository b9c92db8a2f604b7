import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import * as imports from '../../services/ledger/imports/index.ts';
import { navTo, SCREENSHOTS, signInAsDemo, startBrowserSession } from './support.ts';

describe('statement import in a browser', () => {
  let session: Awaited<ReturnType<typeof startBrowserSession>>;
  let page: Page;
  before(async () => {
    session = await startBrowserSession();
    page = await session.browser.newPage();
  });
  after(async () => {
    imports.setAfterChunkForTests(null);
    await session.close();
  });

  test('the progress bar moves through intermediate values while a large statement imports, then the summary shows', async () => {
    const rows = 30_000; // six chunks
    const lines = ['Date,Description,Amount'];
    for (let i = 0; i < rows; i++) lines.push(`2027-01-${String((i % 28) + 1).padStart(2, '0')},Card payment ${i},-${(1 + (i % 90)).toFixed(2)}`);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'bursar-browser-import-')), 'january.csv');
    writeFileSync(file, lines.join('\n'));
    // The test-only knob: each chunk waits a little, so the run takes several seconds on any machine.
    imports.setAfterChunkForTests(() => new Promise((r) => setTimeout(r, 900)));

    await signInAsDemo(page, session.baseUrl);
    await navTo(page, 'Import');
    await page.setInputFiles('#file', file);
    await page.click('button:has-text("Upload and preview")');
    await page.waitForSelector('text=Preview: the first rows');
    await page.click('button:has-text("Import all rows")');

    const seen: { value: number; max: number; text: string }[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (await page.locator('text=Skipped as duplicates').count()) break;
      const bar = page.locator('#import-status progress');
      if (await bar.count()) {
        const [value, max] = await Promise.all([bar.getAttribute('value'), bar.getAttribute('max')]);
        const text = (await page.locator('#import-status').innerText()).replace(/\s+/g, ' ');
        seen.push({ value: Number(value), max: Number(max), text });
      }
      await page.waitForTimeout(250);
    }
    const intermediate = seen.filter((s) => s.value > 0 && s.value < s.max);
    assert.ok(intermediate.length >= 2, `intermediate values seen: ${JSON.stringify(seen.map((s) => s.value))}`);
    assert.ok(new Set(intermediate.map((s) => s.value)).size >= 2, 'the bar moved between two readings');
    assert.ok(
      intermediate.some((s) => /[1-9][\d,]* rows read/.test(s.text)),
      'the row count moves too',
    );
    await page.screenshot({ path: `${SCREENSHOTS}/import-summary.png`, fullPage: true });
    const imported = await page.locator('.kpi', { hasText: 'Imported' }).locator('.kpi-value').innerText();
    assert.equal(imported, '30,000');
  });
});
