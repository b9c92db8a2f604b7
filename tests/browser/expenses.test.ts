import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SCREENSHOTS, startBrowserSession, navTo } from './support.ts';

let session: Awaited<ReturnType<typeof startBrowserSession>>;
before(async () => {
  session = await startBrowserSession();
});
after(() => session.close());

test('a new user adds, edits, deletes and undoes an expense, then imports a statement with a progress bar', async () => {
  const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));

  await page.goto(`${session.baseUrl}/login`);
  await page.fill('#f-email', 'demo@bursar.local');
  await page.fill('#f-password', 'bursar-demo');
  await page.click('button[type=submit]:has-text("Sign in")');
  await page.waitForURL(/\/b\/[0-9a-f-]{36}$/);
  await navTo(page, 'Expenses');
  await page.waitForURL(/\/expenses$/);

  // Add inline: the form resets and the new row appears without a page load.
  await page.fill('#n-description', 'Browser test lamp');
  await page.fill('#n-counterparty', 'Lamp Store');
  await page.fill('#n-amount', '49.90');
  await page.click('button:has-text("Add expense")');
  const row = page.locator('tr', { hasText: 'Browser test lamp' });
  await row.waitFor();
  assert.equal(await page.inputValue('#n-description'), '');

  // Edit in place.
  await row.locator('a:has-text("Edit")').click();
  const editing = page.locator('tr.editing');
  await editing.waitFor();
  await editing.locator('input[name=description]').fill('Browser test desk lamp');
  await editing.locator('button:has-text("Save")').click();
  await page.locator('tr', { hasText: 'Browser test desk lamp' }).waitFor();
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/expenses-edited.png`, fullPage: false });

  // Delete, then undo.
  await page.locator('tr', { hasText: 'Browser test desk lamp' }).locator('button:has-text("Delete")').click();
  await page.locator('tr.deleted', { hasText: 'Browser test desk lamp' }).waitFor();
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/expenses-deleted.png`, fullPage: false });
  await page.locator('tr.deleted button:has-text("Undo")').click();
  await page.locator('tr:not(.deleted)', { hasText: 'Browser test desk lamp' }).locator('a:has-text("Edit")').waitFor();
  assert.equal(
    await session
      .db('transactions')
      .where({ description: 'Browser test desk lamp' })
      .count({ n: '*' })
      .first()
      .then((r) => Number(r!.n)),
    1,
  );

  // Import a statement big enough to watch the progress bar.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bursar-browser-'));
  const file = path.join(dir, 'statement.csv');
  const lines = ['Account statement', 'Period: 2026', 'Date;Text;Amount'];
  for (let i = 0; i < 60000; i++) lines.push(`${String((i % 28) + 1).padStart(2, '0')}.0${(i % 9) + 1}.2026;Browser import ${i};-${(i % 90) + 1},${String(i % 100).padStart(2, '0')}`);
  writeFileSync(file, lines.join('\n'));
  await navTo(page, 'Imports');
  await page.setInputFiles('#file', file);
  await page.click('button:has-text("Upload and preview")');
  await page.locator('text=Preview: the first rows').waitFor();
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/import-preview.png`, fullPage: true });
  await page.click('button:has-text("Import all rows")');
  const progress = page.locator('progress');
  const sawProgress = await progress.waitFor({ timeout: 5000 }).then(
    () => true,
    () => false,
  );
  if (sawProgress) await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/import-progress.png`, fullPage: false });
  await page.locator('.kpi-label:has-text("Skipped as duplicates")').waitFor({ timeout: 120_000 });
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/import-summary.png`, fullPage: false });
  assert.match(await page.locator('#import-status').innerText(), /60,000/);
  assert.ok(sawProgress, 'the progress bar was shown while the import ran');
  assert.deepEqual(problems, [], 'no script errors or CSP violations in the console');
});
