import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import * as rules from '../../services/ledger/rules.ts';
import { SCREENSHOTS, startBrowserSession } from './support.ts';
import { seriousViolations } from './walk.ts';

describe('a new owner, from sign-up to real figures, then tidying the rules', () => {
  let session: Awaited<ReturnType<typeof startBrowserSession>>;
  let page: Page;
  let businessId: string;
  const problems: string[] = [];
  before(async () => {
    session = await startBrowserSession();
    // bypassCSP only so that axe can be injected.
    page = await (await session.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true })).newPage();
    page.on('pageerror', (err) => problems.push(err.message));
  });
  after(() => session.close());

  test('signs up, follows the checklist to import a statement, and lands on a dashboard with figures', async () => {
    await page.goto(`${session.baseUrl}/signup`);
    await page.fill('#f-name', 'Freya Baker');
    await page.fill('#f-email', 'freya@fjord-bakery.example');
    await page.fill('#f-password', 'rye-and-cardamom');
    await page.click('button:has-text("Create account")');
    await page.waitForURL(/\/businesses\/new$/);
    await page.fill('#f-name', 'Fjord Bakery');
    await page.click('button:has-text("Create business")');
    await page.waitForURL(/\/b\/[0-9a-f-]{36}$/);
    businessId = page.url().split('/b/')[1];
    await page.locator('#checklist').waitFor();
    assert.equal(await page.locator('#checklist [data-step=import]').getAttribute('class'), '');
    await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/onboarding-new.png`, fullPage: true });
    assert.deepEqual(await seriousViolations(page), []);
    await page.emulateMedia({ colorScheme: 'dark' });
    assert.deepEqual(await seriousViolations(page), []);
    await page.emulateMedia({ colorScheme: 'light' });

    const lines = ['Date,Description,Amount'];
    for (let d = 1; d <= 24; d++) {
      const day = `2026-11-${String(d).padStart(2, '0')}`;
      lines.push(`${day},Card sales ${d},${(300 + d * 7).toFixed(2)}`, `${day},Flour and butter ${d},-${(90 + d).toFixed(2)}`);
    }
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'bursar-onboarding-')), 'november.csv');
    writeFileSync(file, lines.join('\n'));
    await page.click('#checklist [data-step=import] a');
    await page.waitForURL(/\/imports$/);
    await page.setInputFiles('#file', file);
    await page.click('button:has-text("Upload and preview")');
    await page.waitForSelector('text=Preview: the first rows');
    await page.click('button:has-text("Import all rows")');
    await page.locator('text=Skipped as duplicates').waitFor({ timeout: 60_000 });

    await page.click('nav.mainnav a:has-text("Dashboard")');
    await page.waitForURL(/\/b\/[0-9a-f-]{36}$/);
    assert.equal(await page.locator('#checklist [data-step=import]').getAttribute('class'), 'done');
    assert.equal(await page.locator('text=No money movements yet').count(), 0);
    // A bank statement's money in is other income: 24 × 300 + 7 × (1 + … + 24) = 9,300.00,
    // less 24 × 90 + (1 + … + 24) = 2,460.00 spent, is a net profit of 6,840.00.
    assert.equal(await page.locator('[data-figure=net_profit] .kpi-value').innerText(), '$6,840.00');
    await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/onboarding-figures.png`, fullPage: true });
  });

  test('rules are reordered from the keyboard and by dragging, and switched off', async () => {
    for (const pattern of ['flour', 'butter', 'card sales']) await rules.create(session.db, businessId, rules.ruleInput.parse({ pattern }));
    const order = async () => (await rules.list(session.db, businessId)).map((r) => r.pattern);
    await page.goto(`${session.baseUrl}/b/${businessId}/rules`);
    await page.locator('button[aria-label="Move rule 1 down"]').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('tr[data-rule] td:nth-child(2)')?.textContent?.includes('butter'));
    assert.deepEqual(await order(), ['butter', 'flour', 'card sales']);
    await page.dragAndDrop('tr[data-rule]:nth-child(3)', 'tr[data-rule]:nth-child(1)', { targetPosition: { x: 40, y: 4 } });
    await page.waitForFunction(() => document.querySelector('tr[data-rule] td:nth-child(2)')?.textContent?.includes('card sales'));
    assert.deepEqual(await order(), ['card sales', 'butter', 'flour']);
    await page.locator('tr[data-rule]:nth-child(1) button:has-text("Turn off")').click();
    await page.locator('tr[data-rule]:nth-child(1) button:has-text("Turn on")').waitFor();
    assert.equal((await rules.list(session.db, businessId))[0].enabled, false);
    await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/rules.png`, fullPage: true });
    assert.deepEqual(await seriousViolations(page), []);
    await page.goto(`${session.baseUrl}/b/${businessId}/sales/new`);
    assert.deepEqual(await seriousViolations(page), []);
    assert.deepEqual(problems, [], 'no script errors');
  });
});
