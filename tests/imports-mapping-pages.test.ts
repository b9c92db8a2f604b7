import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestApp, type signIn, signedInOwner, type TestContext } from './helpers.ts';

const REAL = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'imports', 'real');

describe('the import page maps a file itself and always shows a preview', () => {
  let ctx: TestContext;
  let businessId: string;
  let owner: Awaited<ReturnType<typeof signIn>>;

  before(async () => {
    ctx = await createTestApp();
    ({ businessId, owner } = await signedInOwner(ctx, { currency: 'EUR' }));
  });
  after(() => ctx.close());

  const upload = (content: Buffer | string, name: string) =>
    owner.agent
      .post(`/b/${businessId}/imports`)
      .field('_csrf', owner.csrf)
      .attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), name);

  test('the upload form carries its CSRF token in the body, never in the URL, and a token only in the URL is refused', async () => {
    const page = await owner.agent.get(`/b/${businessId}/imports`);
    assert.match(page.text, /<form[^>]+action="\/b\/[^"]+\/imports"[^>]*enctype="multipart\/form-data"/);
    assert.doesNotMatch(page.text, /_csrf=/);
    assert.match(page.text, /enctype="multipart\/form-data"[^>]*>\s*<input type="hidden" name="_csrf"/, 'the token is the first field of the form');
    const inUrl = await owner.agent.post(`/b/${businessId}/imports?_csrf=${owner.csrf}`).attach('file', Buffer.from('Date,Description,Amount\n2026-11-01,A,-1.00\n'), 'a.csv');
    assert.equal(inUrl.status, 403);
    const none = await owner.agent.post(`/b/${businessId}/imports`).attach('file', Buffer.from('Date,Description,Amount\n2026-11-01,A,-1.00\n'), 'a.csv');
    assert.equal(none.status, 403);
    const wrong = await owner.agent.post(`/b/${businessId}/imports`).field('_csrf', 'x'.repeat(43)).attach('file', Buffer.from('Date,Description,Amount\n2026-11-01,A,-1.00\n'), 'a.csv');
    assert.equal(wrong.status, 403);
    assert.equal(Number((await ctx.db('import_batches').where({ business_id: businessId }).count({ n: '*' }).first())!.n), 0);
  });

  test('a PayPal activity download is previewed as it will land, mapped and with its date format read, no questions asked', async () => {
    const up = await upload(readFileSync(path.join(REAL, 'paypal-de-activity.csv')), 'Download.CSV');
    assert.equal(up.status, 303);
    const page = await owner.agent.get(up.headers.location);
    assert.match(page.text, /Preview: the first rows as they will land/);
    assert.match(page.text, /Deutsche Post AG/);
    assert.match(page.text, /-€6\.19/);
    assert.match(page.text, /<option value="9" selected>Netto<\/option>/, 'the net amount is the amount');
    assert.match(page.text, /<option value="DD\.MM\.YYYY" selected>DD\.MM\.YYYY \(18\.06\.2025 is/);
    assert.match(page.text, /Import all rows/);
  });

  test('a file whose columns say nothing still shows its rows, with what was found filled in and the rest to pick', async () => {
    const csv = 'Spalte A;Spalte B;Spalte C\n03.11.2026;Kaffee;x\n04.11.2026;Brot;y\n';
    const up = await upload(csv, 'odd.csv');
    assert.equal(up.status, 303);
    const page = await owner.agent.get(up.headers.location);
    assert.equal(page.status, 200);
    assert.match(page.text, /Preview: the file's first rows/);
    assert.match(page.text, /Pick the amount column/);
    assert.match(page.text, /<td>Kaffee<\/td>/);
    assert.match(page.text, /<option value="0" selected>Spalte A<\/option>/, 'the dates were found by their values');
    assert.doesNotMatch(page.text, /Import all rows/);
  });

  test('changing the mapping from the page (htmx) answers with the updated preview in place', async () => {
    const csv = 'Buchungstag;Text;Betrag\n01.11.2026;Bakery;3,40\n02.11.2026;Client ACME;1.500,00\n';
    const up = await upload(csv, 'bank.csv');
    const batchUrl = up.headers.location;
    const before = await owner.agent.get(batchUrl);
    assert.match(before.text, /€3\.40/);
    const res = await owner.agent
      .post(`${batchUrl}/mapping`)
      .set('HX-Request', 'true')
      .type('form')
      .send({ _csrf: owner.csrf, date: '0', description: '1', amount: '2', date_format: 'auto', decimal: ',', negate: 'on' });
    assert.equal(res.status, 200);
    assert.match(res.text.trim(), /^<section id="import-status"/, 'the status fragment alone, to swap in place');
    assert.match(res.text, /-€3\.40/);
    assert.match(res.text, /-€1,500\.00/);
    assert.match(res.text, /<option value="DD\.MM\.YYYY" selected>/, 'the date format was read off the values');
    const saved = await ctx
      .db('import_batches')
      .where({ id: batchUrl.split('/').pop() })
      .first('mapping');
    assert.equal(saved.mapping.date_format, 'DD.MM.YYYY');
    assert.equal(saved.mapping.negate, true);
  });

  test('the API takes a mapping without a date format and reads it off the values', async () => {
    const res = await owner.agent
      .post('/api/v1/imports')
      .set('X-CSRF-Token', owner.csrf)
      .field('business_id', businessId)
      .field('mapping', JSON.stringify({ date: 'Wann', description: 'Was', amount: 'Wieviel', decimal: ',' }))
      .attach('file', Buffer.from('Wann;Was;Wieviel\n28.10.2026;Druckerpapier;-25,00\n29.10.2026;Briefmarken;-8,50\n'), 'eigen.csv');
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.imported, 2);
    assert.equal(res.body.total.amount, -3350);
    const days = await ctx.db('transactions').where({ import_batch_id: res.body.batch_id }).orderBy('occurred_on').pluck('occurred_on');
    assert.deepEqual(days, ['2026-10-28', '2026-10-29']);
  });

  test('a date column whose values no format reads gets 422 naming the date format, not a saved mapping', async () => {
    const up = await upload('Date,Description,Amount\n2026-11-01,Bakery,-3.40\n', 'plain.csv');
    const res = await owner.agent
      .post(`${up.headers.location}/mapping`)
      .set('HX-Request', 'true')
      .type('form')
      .send({ _csrf: owner.csrf, date: '1', description: '1', amount: '2', date_format: 'auto' });
    assert.equal(res.status, 422);
    assert.match(res.text, /No date format reads every value of that column/);
  });
});
