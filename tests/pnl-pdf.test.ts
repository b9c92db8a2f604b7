import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { appWithOwner, insertBusiness, insertLedgerRows, insertUser, signIn } from './helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const range = 'preset=custom&from=2025-12-01&to=2026-11-30';

describe('the P&L on paper, without a Chromium', () => {
  const f = appWithOwner({ config: { pdfChromium: null } });

  test('the PDF link opens the print view: the statement and its header, no navigation or forms', async () => {
    await insertLedgerRows(f.ctx.db, f.businessId, [{ kind: 'sale', amount: 125_000, description: 'Wholesale order', occurred_on: '2026-11-02' }]);
    const res = await f.owner.agent.get(`/b/${f.businessId}/pnl.pdf?${range}`);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/b/${f.businessId}/pnl/print?${range}`);
    const view = await f.owner.agent.get(res.headers.location);
    assert.equal(view.status, 200);
    assert.match(view.text, /<table class="table pnl">/);
    assert.match(view.text, /\$1,250\.00/);
    assert.match(view.text, /class="print-header print-view-header"><strong>[^<]+<\/strong> · USD · Printed Nov 25, 2026/);
    assert.doesNotMatch(view.text, /<nav|class="topbar"|chat-drawer/);
  });

  test('a stranger gets neither the print view nor the PDF', async () => {
    const other = await insertUser(f.ctx.db);
    await insertBusiness(f.ctx.db, other.id);
    const stranger = await signIn(f.ctx.app, other.email, other.password);
    for (const path of ['pnl/print', 'pnl.pdf']) {
      const res = await stranger.agent.get(`/b/${f.businessId}/${path}?${range}`);
      assert.equal(res.status, 403, path);
      assert.doesNotMatch(res.text, /Wholesale|1,250/);
    }
  });
});

describe('the P&L as a PDF, with Debian’s Chromium', { skip: !existsSync(CHROMIUM) && 'no Chromium installed' }, () => {
  const f = appWithOwner({ config: { pdfChromium: CHROMIUM } });

  test('the download is a PDF of one landscape A4 page for twelve months', async () => {
    await insertLedgerRows(f.ctx.db, f.businessId, [{ kind: 'sale', amount: 125_000, description: 'Wholesale order', occurred_on: '2026-11-02' }]);
    const res = await f.owner.agent
      .get(`/b/${f.businessId}/pnl.pdf?${range}`)
      .buffer(true)
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/pdf');
    assert.match(res.headers['content-disposition'], /pnl-2025-12-01-2026-11-30\.pdf/);
    const pdf = (res.body as Buffer).toString('latin1');
    assert.ok(pdf.startsWith('%PDF-'));
    assert.equal([...pdf.matchAll(/\/Type\s*\/Page\b/g)].length, 1, 'one page');
    // Landscape A4 in points: 842 × 595.
    assert.match(pdf, /\/MediaBox \[0 0 84[12]\.\d+ 59[45]\.\d+\]/);
  });
});
