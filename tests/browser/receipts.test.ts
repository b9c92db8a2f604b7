import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { SCREENSHOTS, navTo, signInAsDemo, startBrowserSession } from './support.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bursar-browser-receipts-'));
let session: Awaited<ReturnType<typeof startBrowserSession>>;
before(async () => {
  session = await startBrowserSession({ config: { receipts: { storage: 'disk', dir: path.join(dir, 'store'), maxBytes: 1024 * 1024, s3: null } } });
});
after(async () => {
  await session.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A photo of a till receipt: a long white slip with printed lines, on a table. */
async function receiptPhoto(file: string) {
  const lines = Array.from({ length: 14 }, (_, i) => `<rect x="70" y="${70 + i * 28}" width="${i % 3 === 2 ? 90 : 160}" height="9" fill="#444"/>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="520"><rect width="300" height="520" fill="#8a6d4b"/><rect x="45" y="30" width="210" height="460" fill="#fbfaf6"/>${lines}</svg>`;
  writeFileSync(file, await sharp(Buffer.from(svg)).jpeg().toBuffer());
}

test('an owner attaches a receipt photo and a PDF to an expense, sees a refusal for a text file, and finds the thumbnail in the list', async () => {
  const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of 422/.test(msg.text())) problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));

  const photo = path.join(dir, 'IMG_2041.jpg');
  await receiptPhoto(photo);
  const pdf = path.join(dir, 'hotel-invoice.pdf');
  writeFileSync(pdf, '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
  const fake = path.join(dir, 'scan.png');
  writeFileSync(fake, 'this is only text pretending to be a picture\n');

  await signInAsDemo(page, session.baseUrl);
  await navTo(page, 'Expenses');
  await page.waitForURL(/\/expenses$/);
  await page.fill('#n-description', 'Team lunch at Rosa');
  await page.fill('#n-amount', '86.40');
  await page.click('button:has-text("Add expense")');
  const row = page.locator('tr', { hasText: 'Team lunch at Rosa' });
  await row.waitFor();

  await row.locator('a:has-text("Attach receipt")').click();
  await page.waitForURL(/\/receipts$/);
  await page.setInputFiles('#receipt-file', photo);
  await page.click('button:has-text("Attach")');
  await page.locator('#receipts-panel img[src$="/thumbnail"]').waitFor();
  await page.setInputFiles('#receipt-file', pdf);
  await page.click('button:has-text("Attach")');
  await page.locator('#receipts-panel a', { hasText: 'hotel-invoice.pdf' }).waitFor();
  await page.setInputFiles('#receipt-file', fake);
  await page.click('button:has-text("Attach")');
  await page.locator('#receipt-file-error').waitFor();
  assert.match(await page.locator('#receipt-file-error').innerText(), /Attach a photo \(JPEG, PNG, WebP, HEIC\) or a PDF/);
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/receipts-panel.png`, fullPage: true });

  // The image opens with its real type, through the membership check.
  const thumb = await page.locator('#receipts-panel img[src$="/thumbnail"]').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth);
  assert.equal(thumb, 96);

  await navTo(page, 'Expenses');
  await page.waitForURL(/\/expenses$/);
  const listed = page.locator('tr', { hasText: 'Team lunch at Rosa' });
  await listed.locator('.receipt-chip img').waitFor();
  assert.equal(await listed.locator('.receipt-chip').getAttribute('title'), '2 receipts');
  await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/expenses-with-receipt.png`, fullPage: false });
  assert.equal(
    await session
      .db('receipts')
      .count({ n: '*' })
      .first()
      .then((r) => Number(r!.n)),
    2,
  );
  assert.deepEqual(problems, [], 'no script errors or CSP violations in the console');
});

test('without JavaScript, the receipt form still attaches a file and comes back to the receipts page', async () => {
  const context = await session.browser.newContext({ javaScriptEnabled: false, viewport: { width: 1100, height: 700 } });
  const page = await context.newPage();
  await page.goto(`${session.baseUrl}/login`);
  await page.fill('#f-email', 'demo@bursar.local');
  await page.fill('#f-password', 'bursar-demo');
  await page.click('button[type=submit]:has-text("Sign in")');
  await page.waitForURL(/\/b\/[0-9a-f-]{36}$/);
  const expense = await session.db('transactions').where({ description: 'Team lunch at Rosa' }).first('id', 'business_id');
  await page.goto(`${session.baseUrl}/b/${expense.business_id}/expenses/${expense.id}/receipts`);
  await page.setInputFiles('#receipt-file', path.join(dir, 'IMG_2041.jpg'));
  await page.click('button:has-text("Attach")');
  await page.waitForURL(/\/receipts$/);
  await page.locator('text=Receipt attached.').waitFor();
  assert.equal(await page.locator('#receipts-panel li').count(), 3);
  await context.close();
});
