import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as imports from '../services/ledger/imports/index.ts';
import { createTestApp, type signIn, signedInOwner, type TestContext, signedInMember } from './helpers.ts';

describe('import pages', () => {
  let ctx: TestContext;
  let businessId: string;
  let owner: Awaited<ReturnType<typeof signIn>>;

  before(async () => {
    ctx = await createTestApp();
    ({ businessId, owner } = await signedInOwner(ctx));
  });
  after(() => ctx.close());

  const csv = 'Statement for account 123\n\nBooking date;Text;Amount\n01.11.2026;Bakery;-3,40\n02.11.2026;Client ACME;1.500,00\n';
  const upload = (who = owner) => who.agent.post(`/b/${businessId}/imports`).field('_csrf', who.csrf).attach('file', Buffer.from(csv), 'bank.csv');

  test('upload, preview, run with a status that polls until done, then the summary and an undo', async () => {
    const up = await upload();
    assert.equal(up.status, 303);
    const page = await owner.agent.get(up.headers.location);
    assert.equal(page.status, 200);
    assert.match(page.text, /Preview: the first rows/);
    assert.match(page.text, /Bakery/);
    assert.match(page.text, /\$1,500\.00/);
    const batchId = up.headers.location.split('/').pop()!;
    const run = await owner.agent.post(`${up.headers.location}/run`).type('form').send({ _csrf: owner.csrf });
    assert.equal(run.status, 303);
    await ctx.worker.drain();
    const done = await owner.agent.get(up.headers.location).set('HX-Request', 'true');
    assert.doesNotMatch(done.text, /every 1s/, 'a finished import stops polling');
    assert.match(done.text, /Imported/);
    assert.equal(
      await ctx
        .db('transactions')
        .where({ import_batch_id: batchId })
        .count({ n: '*' })
        .first()
        .then((r) => Number(r!.n)),
      2,
    );
    const profile = await ctx.db('import_profiles').where({ business_id: businessId }).first();
    assert.equal(profile.mapping.date_format, 'DD.MM.YYYY');
    const undo = await owner.agent.post(`${up.headers.location}/reversal`).type('form').send({ _csrf: owner.csrf });
    assert.equal(undo.status, 303);
    assert.equal(
      await ctx
        .db('transactions')
        .where({ business_id: businessId })
        .count({ n: '*' })
        .first()
        .then((r) => Number(r!.n)),
      0,
    );
  });

  test('a running import renders a progress bar that polls itself', async () => {
    const up = await upload();
    const batchId = up.headers.location.split('/').pop()!;
    await ctx.db('import_batches').where({ id: batchId }).update({ status: 'running', bytes_read: 40, processed_rows: 1 });
    const res = await owner.agent.get(up.headers.location).set('HX-Request', 'true');
    assert.match(res.text, /hx-trigger="every 1s"/);
    assert.match(res.text, /<progress/);
  });

  test('a bad mapping gets 422 with a message on the field', async () => {
    const up = await upload();
    const res = await owner.agent.post(`${up.headers.location}/mapping`).type('form').send({ _csrf: owner.csrf, date: '0', description: '1', date_format: '' });
    assert.equal(res.status, 422);
    assert.match(res.text, /Give the date format/);
  });

  test('a viewer cannot upload or run an import', async () => {
    const viewer = await signedInMember(ctx, businessId, 'viewer');
    assert.equal((await upload(viewer)).status, 403);
    const up = await upload();
    const run = await viewer.agent.post(`${up.headers.location}/run`).type('form').send({ _csrf: viewer.csrf });
    assert.equal(run.status, 403);
  });

  test('possible duplicates are listed on the summary, and merging one deletes the imported copy (audited)', async () => {
    const first = await owner.agent
      .post(`/b/${businessId}/imports`)
      .field('_csrf', owner.csrf)
      .attach('file', Buffer.from('Date,Description,Amount\n2026-10-01,Printer paper,-25.00\n2026-10-02,Stamps,-8.00\n'), 'a.csv');
    const firstId = first.headers.location.split('/').pop()!;
    await owner.agent.post(`${first.headers.location}/run`).type('form').send({ _csrf: owner.csrf });
    await ctx.worker.drain();
    const second = await owner.agent
      .post(`/b/${businessId}/imports`)
      .field('_csrf', owner.csrf)
      .attach('file', Buffer.from('Date,Description,Amount\n2026-10-03,PRINTER PAPER A4,-25.00\n2026-10-04,Stamps book,-8.00\n'), 'b.csv');
    const secondId = second.headers.location.split('/').pop()!;
    await owner.agent.post(`${second.headers.location}/run`).type('form').send({ _csrf: owner.csrf });
    await ctx.worker.drain();
    const page = await owner.agent.get(second.headers.location);
    assert.match(page.text, /Possible duplicates/);
    const ids = [...page.text.matchAll(/possible-duplicates\/([0-9a-f-]{36})/g)].map((m) => m[1]);
    assert.equal(ids.length, 2);
    const merged = await owner.agent.post(`/b/${businessId}/possible-duplicates/${ids[0]}`).type('form').send({ _csrf: owner.csrf, decision: 'merge' });
    assert.equal(merged.status, 303);
    const kept = await owner.agent.post(`/b/${businessId}/possible-duplicates/${ids[1]}`).type('form').send({ _csrf: owner.csrf, decision: 'keep' });
    assert.equal(kept.status, 303);
    assert.equal(
      await ctx
        .db('transactions')
        .where({ import_batch_id: secondId })
        .count({ n: '*' })
        .first()
        .then((r) => Number(r!.n)),
      1,
    );
    assert.equal(
      await ctx
        .db('possible_duplicates')
        .where({ batch_id: secondId, status: 'open' })
        .count({ n: '*' })
        .first()
        .then((r) => Number(r!.n)),
      0,
    );
    const after = await owner.agent.get(second.headers.location);
    assert.doesNotMatch(after.text, /Possible duplicates<\/h2>/);
  });
});
