import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestApp, insertBusiness, insertLedgerRows, insertUser, signIn, TODAY, type TestContext, signedInMember } from './helpers.ts';

describe('expenses', () => {
  let ctx: TestContext;
  let businessId: string;
  let owner: Awaited<ReturnType<typeof signIn>>;
  let viewer: Awaited<ReturnType<typeof signIn>>;
  let otherBusinessId: string;
  let softwareId: string;

  before(async () => {
    ctx = await createTestApp();
    const ownerUser = await insertUser(ctx.db, { name: 'Olive Owner' });
    businessId = (await insertBusiness(ctx.db, ownerUser.id)).id;
    owner = await signIn(ctx.app, ownerUser.email, ownerUser.password);
    viewer = await signedInMember(ctx, businessId, 'viewer');
    const otherUser = await insertUser(ctx.db);
    otherBusinessId = (await insertBusiness(ctx.db, otherUser.id, { name: 'Other Books' })).id;
    softwareId = (await ctx.db('categories').where({ business_id: businessId, name: 'Software' }).first('id')).id;
  });
  after(() => ctx.close());

  const url = (path = '') => `/b/${businessId}/expenses${path}`;
  const add = (fields: Record<string, string>, who = owner) =>
    who.agent
      .post(url())
      .type('form')
      .send({ _csrf: who.csrf, occurred_on: TODAY, currency: '', category_id: '', ...fields });

  test('adding an expense stores a negative ledger row and shows it as spent', async () => {
    const res = await add({ description: 'Figma seat', amount: '1,234.56', category_id: softwareId, counterparty: 'Figma' });
    assert.equal(res.status, 303);
    const row = await ctx.db('transactions').where({ business_id: businessId, description: 'Figma seat' }).first();
    assert.equal(row.amount, -123456);
    assert.equal(row.amount_base, -123456);
    assert.equal(row.kind, 'expense');
    const page = await owner.agent.get(url());
    assert.equal(page.status, 200);
    assert.match(page.text, /Figma seat/);
    assert.match(page.text, /\$1,234\.56/);
  });

  test('an inline add over htmx returns a fresh form and the list out of band', async () => {
    const res = await add({ description: 'Coffee beans', amount: '12' }).set('HX-Request', 'true');
    assert.equal(res.status, 200);
    assert.match(res.text, /id="expense-form"/);
    assert.match(res.text, /id="expense-list" class="card" hx-swap-oob="true"/);
    assert.match(res.text, /Coffee beans/);
  });

  test('bad input gets 422 with a message on each field and stores nothing', async () => {
    const before = await ctx.db('transactions').where({ business_id: businessId }).count({ n: '*' }).first();
    const res = await add({ description: '', amount: 'abc', occurred_on: '2026-02-30' }).set('HX-Request', 'true');
    assert.equal(res.status, 422);
    assert.match(res.text, /Say what it was for/);
    assert.match(res.text, /Enter an amount such as 12.50/);
    assert.match(res.text, /That date does not exist/);
    const after = await ctx.db('transactions').where({ business_id: businessId }).count({ n: '*' }).first();
    assert.deepEqual(after, before);
  });

  test('a foreign amount is converted at the nearest earlier rate, and a missing rate is a clear error', async () => {
    await ctx.db('exchange_rates').insert({ base: 'EUR', quote: 'USD', day: '2026-11-20', rate: '1.10' });
    const ok = await add({ description: 'Berlin hotel', amount: '100', currency: 'EUR' });
    assert.equal(ok.status, 303);
    const row = await ctx.db('transactions').where({ description: 'Berlin hotel' }).first();
    assert.deepEqual([row.amount, row.currency, row.amount_base], [-10000, 'EUR', -11000]);
    const missing = await add({ description: 'Tokyo taxi', amount: '1000', currency: 'JPY' });
    assert.equal(missing.status, 422);
    assert.match(missing.text, /no JPY→USD exchange rate on or before 2026-11-25/);
  });

  test('editing in place changes the row and records before and after in the audit trail', async () => {
    const row = await ctx.db('transactions').where({ description: 'Coffee beans' }).first();
    const form = await owner.agent.get(url(`/${row.id}/edit`)).set('HX-Request', 'true');
    assert.equal(form.status, 200);
    assert.match(form.text, /<tr id="expense-/);
    const res = await owner.agent
      .post(url(`/${row.id}`))
      .set('HX-Request', 'true')
      .type('form')
      .send({ _csrf: owner.csrf, occurred_on: TODAY, description: 'Coffee beans (office)', amount: '13.50', currency: 'USD', category_id: '' });
    assert.equal(res.status, 200);
    assert.match(res.text, /Coffee beans \(office\)/);
    const audit = await ctx.db('ledger_audit').where({ transaction_id: row.id }).orderBy('id');
    assert.deepEqual(
      audit.map((a) => a.action),
      ['create', 'update'],
    );
    assert.equal(audit[1].before.amount, -1200);
    assert.equal(audit[1].after.amount, -1350);
    const history = await owner.agent.get(url(`/${row.id}/history`));
    assert.match(history.text, /Changed/);
    assert.match(history.text, /Olive Owner/);
    // When it happened, as a date (a timestamp once rendered as "Invalid Date").
    assert.match(history.text, /<time datetime="2026-11-25T12:00:00.000Z">Nov 25, 2026<\/time>/);
    assert.doesNotMatch(history.text, /Invalid Date/);
  });

  test('deleting removes the ledger row for real, and undo restores it with the same id', async () => {
    const row = await ctx.db('transactions').where({ description: 'Coffee beans (office)' }).first();
    const del = await owner.agent
      .post(url(`/${row.id}/deletion`))
      .set('HX-Request', 'true')
      .type('form')
      .send({ _csrf: owner.csrf });
    assert.equal(del.status, 200);
    assert.match(del.text, /Undo/);
    assert.equal(await ctx.db('transactions').where({ id: row.id }).first(), undefined);
    const undo = await owner.agent
      .post(url(`/${row.id}/restoration`))
      .set('HX-Request', 'true')
      .type('form')
      .send({ _csrf: owner.csrf });
    assert.equal(undo.status, 200);
    const back = await ctx.db('transactions').where({ id: row.id }).first();
    assert.equal(back.amount, row.amount);
    assert.equal(back.description, row.description);
    const actions = (await ctx.db('ledger_audit').where({ transaction_id: row.id }).orderBy('id')).map((a) => a.action);
    assert.deepEqual(actions, ['create', 'update', 'delete', 'restore']);
  });

  test('an inline edit, delete and undo bring the filtered list’s count and total along out of band, as a reload shows them', async () => {
    await insertLedgerRows(ctx.db, businessId, [
      { amount: -40_00, description: 'Lamp oil', occurred_on: TODAY },
      { amount: -60_00, description: 'Lamp shade', occurred_on: TODAY },
    ]);
    const shade = await ctx.db('transactions').where({ business_id: businessId, description: 'Lamp shade' }).first();
    const list = `http://bursar.test${url('')}?q=lamp`;
    const totalsOf = (html: string) => /<span id="expense-totals" class="total" hx-swap-oob="true">([^<]*)<strong>([^<]*)<\/strong>/.exec(html)?.slice(1);
    const reload = async () => totalsOf((await owner.agent.get(url(`/totals?q=lamp`)).set('HX-Request', 'true')).text.replace('class="total">', 'class="total" hx-swap-oob="true">'));

    const edit = await owner.agent
      .post(url(`/${shade.id}`))
      .set('HX-Request', 'true')
      .set('HX-Current-URL', list)
      .type('form')
      .send({ _csrf: owner.csrf, occurred_on: TODAY, description: 'Lamp shade', amount: '75.00', currency: 'USD', category_id: '' });
    assert.match(edit.text.trimStart(), /^<tr id="expense-/, 'the row first, so it still replaces the row it came from');
    assert.deepEqual(totalsOf(edit.text), ['2 expenses · total spent ', '$115.00']);
    assert.deepEqual(totalsOf(edit.text), await reload());

    const del = await owner.agent
      .post(url(`/${shade.id}/deletion`))
      .set('HX-Request', 'true')
      .set('HX-Current-URL', list)
      .type('form')
      .send({ _csrf: owner.csrf });
    assert.deepEqual(totalsOf(del.text), ['1 expense · total spent ', '$40.00']);
    assert.deepEqual(totalsOf(del.text), await reload());

    const undo = await owner.agent
      .post(url(`/${shade.id}/restoration`))
      .set('HX-Request', 'true')
      .set('HX-Current-URL', list)
      .type('form')
      .send({ _csrf: owner.csrf });
    assert.deepEqual(totalsOf(undo.text), ['2 expenses · total spent ', '$115.00']);

    const elsewhere = await owner.agent
      .post(url(`/${shade.id}/deletion`))
      .set('HX-Request', 'true')
      .set('HX-Current-URL', `http://bursar.test${url(`/${shade.id}`)}`)
      .type('form')
      .send({ _csrf: owner.csrf });
    assert.doesNotMatch(elsewhere.text, /hx-swap-oob/, 'the expense’s own page has no totals to update');
  });

  test('without JavaScript a delete redirects to the list with an undo form', async () => {
    const row = await ctx.db('transactions').where({ description: 'Figma seat' }).first();
    const del = await owner.agent
      .post(url(`/${row.id}/deletion`))
      .type('form')
      .send({ _csrf: owner.csrf });
    assert.equal(del.status, 303);
    const page = await owner.agent.get(del.headers.location);
    assert.match(page.text, new RegExp(`expenses/${row.id}/restoration`));
    const undo = await owner.agent
      .post(url(`/${row.id}/restoration`))
      .type('form')
      .send({ _csrf: owner.csrf });
    assert.equal(undo.status, 303);
    assert.ok(await ctx.db('transactions').where({ id: row.id }).first());
  });

  test('a viewer reads the list but gets 403 on every write', async () => {
    const row = await ctx.db('transactions').where({ description: 'Figma seat' }).first();
    assert.equal((await viewer.agent.get(url())).status, 200);
    assert.equal((await add({ description: 'Sneaky', amount: '1' }, viewer)).status, 403);
    const edit = await viewer.agent
      .post(url(`/${row.id}`))
      .type('form')
      .send({ _csrf: viewer.csrf, occurred_on: TODAY, description: 'x', amount: '1' });
    assert.equal(edit.status, 403);
    assert.equal(
      (
        await viewer.agent
          .post(url(`/${row.id}/deletion`))
          .type('form')
          .send({ _csrf: viewer.csrf })
      ).status,
      403,
    );
    assert.equal((await ctx.db('transactions').where({ id: row.id }).first()).description, 'Figma seat');
  });

  test("another business's expense id gives 404 and never its data", async () => {
    const [id] = await ctx
      .db('transactions')
      .insert({ business_id: otherBusinessId, kind: 'expense', amount: -999, currency: 'USD', amount_base: -999, occurred_on: TODAY, description: 'Other secret' })
      .returning('id');
    for (const path of [`/${id.id}`, `/${id.id}/edit`, `/${id.id}/history`]) {
      const res = await owner.agent.get(url(path));
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.text, /Other secret/);
    }
    const del = await owner.agent
      .post(url(`/${id.id}/deletion`))
      .type('form')
      .send({ _csrf: owner.csrf });
    assert.equal(del.status, 404);
    assert.ok(await ctx.db('transactions').where({ id: id.id }).first());
    assert.equal((await owner.agent.get(url(`/${randomUUID()}`))).status, 404);
  });

  test('filters, totals and keyset pages cover every row exactly once', async () => {
    const days = Array.from({ length: 25 }, (_, i) => `2026-10-${String(i + 1).padStart(2, '0')}`);
    await insertLedgerRows(
      ctx.db,
      businessId,
      days.flatMap((d) => [
        { occurred_on: d, description: `Paged ${d} a` },
        { occurred_on: d, description: `Paged ${d} b` },
      ]),
    );
    const seen: string[] = [];
    const totals = await owner.agent.get(url('/totals?q=Paged')).set('HX-Request', 'true');
    assert.match(totals.text, /50 expenses/);
    assert.match(totals.text, /\$500\.00/);
    let next = url('?q=Paged&limit=7');
    for (;;) {
      const res = await owner.agent.get(next).set('Accept', 'text/html');
      assert.equal(res.status, 200);
      assert.match(res.text, /expenses\/totals\?q=Paged/);
      seen.push(...[...res.text.matchAll(/Paged (\d{4}-\d\d-\d\d \w)/g)].map((m) => m[1]));
      const more = /href="([^"]+cursor=[^"]+)"/.exec(res.text);
      if (!more) break;
      next = `${more[1].replace(/&amp;/g, '&')}&limit=7`;
    }
    assert.equal(seen.length, 50);
    assert.equal(new Set(seen).size, 50);
    const dates = seen.map((s) => s.slice(0, 10));
    assert.deepEqual(dates, [...dates].sort().reverse());
    const ranged = await owner.agent.get(url('/totals?q=Paged&from=2026-10-10&to=2026-10-11&min=5&max=20'));
    assert.match(ranged.text, /4 expenses/);
  });

  test('totals of a date or category filter, read from the stored daily totals, equal the rows after adds, edits and deletes', async () => {
    await insertLedgerRows(ctx.db, businessId, [
      { occurred_on: '2026-09-03', description: 'Sept licence', amount: -4200, category_id: softwareId },
      { occurred_on: '2026-09-04', description: 'Sept misc', amount: -1000 },
      { occurred_on: '2026-09-05', description: 'Sept refund', amount: 300, category_id: softwareId },
    ]);
    const misc = await ctx.db('transactions').where({ business_id: businessId, description: 'Sept misc' }).first('id');
    await owner.agent
      .post(url(`/${misc.id}`))
      .type('form')
      .send({ _csrf: owner.csrf, occurred_on: '2026-09-06', description: 'Sept misc', amount: '25.00', currency: 'USD', category_id: '' });
    const refund = await ctx.db('transactions').where({ business_id: businessId, description: 'Sept refund' }).first('id');
    await owner.agent
      .post(url(`/${refund.id}/deletion`))
      .type('form')
      .send({ _csrf: owner.csrf });
    const money = (minor: number) => `$${(minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })}`;
    for (const [query, where] of [
      ['', {}],
      ['?from=2026-09-01&to=2026-09-30', { from: '2026-09-01', to: '2026-09-30' }],
      [`?category=${softwareId}`, { category: softwareId }],
      ['?category=none&from=2026-09-06&to=2026-09-06', { category: 'none', from: '2026-09-06', to: '2026-09-06' }],
    ] as const) {
      const rows = ctx.db('transactions').where({ business_id: businessId, kind: 'expense' });
      if ('from' in where) rows.whereBetween('occurred_on', [where.from, where.to]);
      if ('category' in where) where.category === 'none' ? rows.whereNull('category_id') : rows.where('category_id', where.category);
      const truth = await rows.first(ctx.db.raw('count(*)::int as n'), ctx.db.raw('coalesce(-sum(amount_base), 0)::bigint as spent'));
      assert.ok(truth.n > 0, `the filter ${query} matches rows`);
      const res = await owner.agent.get(url(`/totals${query}`)).set('HX-Request', 'true');
      assert.match(res.text, new RegExp(`${truth.n} expenses? · total spent <strong>${money(truth.spent).replace(/[$.]/g, (c) => `\\${c}`)}</strong>`), `totals for "${query}"`);
    }
  });

  test('the CSV export streams every row of the filter', async () => {
    const res = await owner.agent.get(url('/export.csv?q=Paged'));
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /text\/csv/);
    const lines = res.text.trim().split('\r\n');
    assert.equal(lines.length, 51);
    assert.match(lines[1], /^2026-10-25,Paged 2026-10-25 \w,,,10\.00,USD,10\.00$/);
  });
});
