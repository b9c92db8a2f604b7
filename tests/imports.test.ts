import { after, before, describe, test } from 'node:test';
import { isEmbedded } from '../services/core/db.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestApp, insertBusiness, insertUser, signIn, type TestContext, signedInMember } from './helpers.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'statements');

type Expected = [date: string, amount: number, currency: string, description: RegExp];

/** Six real-world layouts and every row each must land as (amounts signed: money in positive). */
const LAYOUTS: { file: string; rows: Expected[] }[] = [
  {
    file: 'comma-bom-ids.csv',
    rows: [
      ['2026-11-01', -450, 'USD', /^Coffee Corner$/],
      ['2026-11-02', -123456, 'USD', /^ACME Supplies, Inc\.$/],
      ['2026-11-03', 250000, 'USD', /^Customer payment$/],
    ],
  },
  {
    file: 'semicolon-preamble-decimal-comma.csv',
    rows: [
      ['2026-11-01', -125000, 'EUR', /^Miete November$/],
      ['2026-11-03', -320, 'EUR', /^Kaffee$/],
      ['2026-11-05', 4599, 'EUR', /^Erstattung$/],
    ],
  },
  {
    file: 'debit-credit-multiline.csv',
    rows: [
      ['2026-11-04', -31000, 'USD', /^Office chairs$/],
      ['2026-11-05', 4210, 'USD', /^Refund from supplier$/],
      ['2026-11-06', -1875, 'USD', /^Shipping label batch 7, two lines$/],
    ],
  },
  {
    file: 'tab-mmm.csv',
    rows: [
      ['2026-11-07', -8999, 'USD', /^Cloud hosting$/],
      ['2026-11-08', 102000, 'USD', /^Payout$/],
    ],
  },
  {
    file: 'datetime-identical.csv',
    rows: [
      ['2026-11-09', -450, 'USD', /^Coffee$/],
      ['2026-11-09', -450, 'USD', /^Coffee$/],
      ['2026-11-10', -3820, 'USD', /^Lunch with client$/],
    ],
  },
  {
    file: 'semicolon-quoted-debit-credit.csv',
    rows: [
      ['2026-11-12', -9900, 'USD', /^Zahlung "Müller"; Rechnung 17$/],
      ['2026-11-13', 100050, 'USD', /^Gutschrift$/],
    ],
  },
];

describe('CSV import', () => {
  let ctx: TestContext;
  let businessId: string;
  let owner: Awaited<ReturnType<typeof signIn>>;
  let viewer: Awaited<ReturnType<typeof signIn>>;

  before(async () => {
    ctx = await createTestApp();
    const user = await insertUser(ctx.db);
    businessId = (await insertBusiness(ctx.db, user.id)).id;
    owner = await signIn(ctx.app, user.email, user.password);
    viewer = await signedInMember(ctx, businessId, 'viewer');
    await ctx.db('exchange_rates').insert({ base: 'EUR', quote: 'USD', day: '2026-10-31', rate: '1.2' });
  });
  after(() => ctx.close());

  function post(content: Buffer | string, filename: string, fields: Record<string, string> = {}, who = owner) {
    let req = who.agent.post('/api/v1/imports').set('X-CSRF-Token', who.csrf).field('business_id', businessId);
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    return req.attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), filename);
  }
  const ledgerCount = async () => Number((await ctx.db('transactions').where({ business_id: businessId }).count({ n: '*' }).first())!.n);

  test('six real-world bank layouts land with every date, amount, sign and the total right', async () => {
    for (const layout of LAYOUTS) {
      const res = await post(readFileSync(path.join(FIXTURES, layout.file)), layout.file);
      assert.equal(res.status, 201, `${layout.file}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.imported, layout.rows.length, layout.file);
      assert.equal(res.body.skipped_duplicates, 0);
      assert.deepEqual(res.body.failed, []);
      const rows = await ctx
        .db('transactions')
        .where({ import_batch_id: res.body.batch_id })
        .orderBy([{ column: 'occurred_on' }, { column: 'created_at' }])
        .select();
      assert.equal(rows.length, layout.rows.length);
      const byKey = [...rows];
      for (const [date, amount, currency, description] of layout.rows) {
        const i = byKey.findIndex((r) => r.occurred_on === date && r.amount === amount && r.currency === currency && description.test(r.description));
        assert.ok(i >= 0, `${layout.file}: no row ${date} ${amount} ${currency} ${description}; got ${JSON.stringify(rows.map((r) => [r.occurred_on, r.amount, r.description]))}`);
        assert.equal(byKey[i].kind, amount < 0 ? 'expense' : 'other_income');
        byKey.splice(i, 1);
      }
      const expectedTotal = layout.rows.reduce((s, [, amount, currency]) => s + (currency === 'EUR' ? Math.round(amount * 1.2) : amount), 0);
      assert.equal(res.body.total.amount, expectedTotal, layout.file);
      assert.equal(res.body.total.currency, 'USD');
    }
  });

  test('importing the same file twice adds nothing the second time', async () => {
    for (const layout of LAYOUTS) {
      const before = await ledgerCount();
      const res = await post(readFileSync(path.join(FIXTURES, layout.file)), layout.file);
      assert.equal(res.status, 201, `${layout.file}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.imported, 0, layout.file);
      assert.equal(res.body.skipped_duplicates, layout.rows.length);
      assert.equal(await ledgerCount(), before);
    }
  });

  const statement = (from: number, to: number) =>
    'Date,Description,Amount\n' +
    Array.from({ length: to - from }, (_, k) => {
      const i = from + k;
      // Three different payments a day, dated in order as a bank statement is.
      const day = new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 3) * 86_400_000).toISOString().slice(0, 10);
      return `${day},Card payment ${i % 3},-${(i % 5) + 1}.00`;
    }).join('\n');

  test('a file that overlaps the previous one by half adds only the new half', async () => {
    const first = await post(statement(0, 200), 'sept-a.csv');
    assert.equal(first.body.imported, 200);
    const second = await post(statement(100, 300), 'sept-b.csv');
    assert.equal(second.status, 201);
    assert.equal(second.body.imported, 100);
    assert.equal(second.body.skipped_duplicates, 100);
  });

  test('two genuine identical rows in one file are both kept', async () => {
    const res = await post('Date,Description,Amount\n2026-08-01,Flat white,-3.80\n2026-08-01,Flat white,-3.80\n', 'coffees.csv');
    assert.equal(res.body.imported, 2);
    const again = await post('Date,Description,Amount\n2026-08-01,Flat white,-3.80\n2026-08-01,Flat white,-3.80\n2026-08-01,Flat white,-3.80\n', 'coffees-3.csv');
    assert.equal(again.body.imported, 1, 'a third coffee that day is new; the first two are the same as before');
  });

  test('a bank id repeated within one file lands once and counts as a duplicate', async () => {
    const res = await post('Date,Description,Amount,Transaction ID\n2026-07-01,Hosting,-20.00,TX9001\n2026-07-01,Hosting,-20.00,TX9001\n2026-07-02,Domain,-12.00,TX9002\n', 'repeat-ids.csv');
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.imported, 2);
    assert.equal(res.body.skipped_duplicates, 1);
    assert.equal(
      await ctx
        .db('transactions')
        .where({ business_id: businessId, external_id: 'id:TX9001' })
        .count({ n: '*' })
        .first()
        .then((r) => Number(r!.n)),
      1,
    );
  });

  test('malformed files get a clear message naming the line, and the ledger is unchanged', async () => {
    const before = await ledgerCount();
    const big = ['Date,Description,Amount'];
    for (let line = 2; line <= 5000; line++) big.push(`2026-07-01,Row ${line},${line === 4317 ? 'abc' : '-1.00'}`);
    const cases: [string, Buffer | string, RegExp][] = [
      ['binary.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]), /not a CSV text file/],
      ['empty.csv', '', /empty/],
      ['header-only.csv', 'Date,Description,Amount\n', /no rows/],
      ['non-dates.csv', 'Date,Description,Amount\nsoon,A,-1.00\nlater,B,-2.00\n', /date/i],
      ['abc.csv', big.join('\n'), /Line 4,317: “abc” is not an amount/],
    ];
    for (const [name, content, message] of cases) {
      const res = await post(content, name);
      assert.equal(res.status, 422, `${name}: ${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'validation');
      assert.match(res.body.error.message, message, name);
    }
    const nonDates = await post('Date,Description,Amount\nsoon,A,-1.00\nlater,B,-2.00\n', 'non-dates.csv', {
      mapping: JSON.stringify({ date: 'Date', description: 'Description', amount: 'Amount', date_format: 'YYYY-MM-DD' }),
    });
    assert.match(nonDates.body.error.message, /Line 2: “soon” is not a date in the format YYYY-MM-DD/);
    assert.equal(await ledgerCount(), before);
  });

  test('a dry run reports what would happen and changes nothing', async () => {
    const before = await ledgerCount();
    const res = await post('Date,Description,Amount\n2026-06-01,Dry run row,-9.99\n', 'dry.csv', { dry_run: 'true' });
    assert.equal(res.status, 201);
    assert.equal(res.body.imported, 1);
    assert.equal(res.body.total.amount, -999);
    assert.equal(await ledgerCount(), before);
  });

  test('near matches are listed as possible duplicates, not dropped', async () => {
    await post('Date,Description,Amount\n2026-05-10,Hardware store,-42.00\n', 'may-a.csv');
    const res = await post('Date,Description,Amount\n2026-05-12,HARDWARE STORE #22,-42.00\n', 'may-b.csv');
    assert.equal(res.body.imported, 1);
    assert.equal(res.body.possible_duplicates, 1);
  });

  test('undoing a batch removes exactly its rows, and they can come back by importing again', async () => {
    const res = await post('Date,Description,Amount\n2026-04-01,Undo me,-1.00\n2026-04-02,Undo me too,-2.00\n', 'undo.csv');
    const before = await ledgerCount();
    const del = await owner.agent.delete(`/api/v1/imports/${res.body.batch_id}`).set('X-CSRF-Token', owner.csrf).query({ business_id: businessId });
    assert.equal(del.status, 204);
    assert.equal(await ledgerCount(), before - 2);
    const audit = await ctx.db('ledger_audit').where({ business_id: businessId, action: 'delete' }).count({ n: '*' }).first();
    assert.ok(Number(audit!.n) >= 2);
    const again = await post('Date,Description,Amount\n2026-04-01,Undo me,-1.00\n2026-04-02,Undo me too,-2.00\n', 'undo.csv');
    assert.equal(again.body.imported, 2);
  });

  test('a viewer cannot import or undo an import', async () => {
    const before = await ledgerCount();
    const res = await post('Date,Description,Amount\n2026-03-01,Viewer row,-1.00\n', 'viewer.csv', {}, viewer);
    assert.equal(res.status, 403);
    const batch = await ctx.db('import_batches').where({ business_id: businessId, status: 'done' }).first('id');
    const del = await viewer.agent.delete(`/api/v1/imports/${batch.id}`).set('X-CSRF-Token', viewer.csrf).query({ business_id: businessId });
    assert.equal(del.status, 403);
    assert.equal(await ledgerCount(), before);
  });

  const refuseRow = async (description: string) => {
    await ctx.db.raw(`create function refuse_row() returns trigger language plpgsql as $$
      begin if new.description = '${description}' then raise exception 'disk full'; end if; return new; end $$`);
    await ctx.db.raw('create trigger refuse_row before insert on transactions for each row execute function refuse_row()');
    return async () => {
      await ctx.db.raw('drop trigger refuse_row on transactions');
      await ctx.db.raw('drop function refuse_row()');
    };
  };
  const fileOf = (prefix: string, rows: number) => {
    const lines = ['Date,Description,Amount'];
    for (let i = 0; i < rows; i++) lines.push(`2026-02-${String((i % 28) + 1).padStart(2, '0')},${prefix} ${i},-1.00`);
    return lines.join('\n');
  };

  test('a failure in the middle of the commit is tried again, and the retry imports the whole file exactly once', async () => {
    const before = await ledgerCount();
    // The database refuses one row of the file, after the rows before it were written.
    const allow = await refuseRow('Half-done 2500');
    const res = await post(fileOf('Half-done', 3000), 'crash.csv');
    assert.equal(res.status, 202, 'the first attempt failed; the API says the import is still on its way');
    assert.equal(res.body.status, 'running');
    // PostgreSQL lands a batch in one transaction; embedded PGlite 2,000 rows at a time, so
    // there the rows before the failing chunk may be in already, and the retry goes on from them.
    if (!isEmbedded(ctx.db)) assert.equal(await ledgerCount(), before);
    const job = await ctx.db('job_queue').where({ singleton_key: res.body.batch_id }).first();
    assert.deepEqual([job.state, job.attempts], ['queued', 1]);
    assert.match(job.last_error, /disk full/);

    await allow();
    ctx.clock.advance(60_000);
    await ctx.worker.drain();
    ctx.clock.advance(-60_000);
    const done = await owner.agent.get(`/api/v1/imports/${res.body.batch_id}`).query({ business_id: businessId });
    assert.equal(done.status, 200);
    assert.equal(done.body.imported, 3000);
    assert.equal(await ledgerCount(), before + 3000);
    const runs = await ctx.db('job_runs').where({ queue_id: job.id }).orderBy('attempt').select('attempt', 'status');
    assert.deepEqual(runs, [
      { attempt: 1, status: 'failed' },
      { attempt: 2, status: 'succeeded' },
    ]);
  });

  test('an import that fails for good leaves the ledger as it was, and says so', async () => {
    const before = await ledgerCount();
    const allow = await refuseRow('Doomed 2500');
    const res = await post(fileOf('Doomed', 3000), 'doomed.csv');
    assert.equal(res.status, 202);
    for (let attempt = 2; attempt <= 3; attempt++) {
      ctx.clock.advance(3_600_000);
      await ctx.worker.drain();
    }
    ctx.clock.advance(-2 * 3_600_000);
    await allow();
    assert.equal(await ledgerCount(), before, 'no row of the failed batch is left in the ledger');
    const batch = await ctx.db('import_batches').where({ id: res.body.batch_id }).first();
    assert.equal(batch.status, 'failed');
    assert.match(batch.error, /disk full/);
    const answer = await owner.agent.get(`/api/v1/imports/${res.body.batch_id}`).query({ business_id: businessId });
    assert.equal(answer.status, 422);
    assert.equal((await ctx.db('job_queue').where({ singleton_key: res.body.batch_id }).first()).state, 'failed');
  });
});
