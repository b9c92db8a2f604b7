import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, csrfFrom, insertUser, insertBusiness, insertLedgerRows, signIn, signedInMember, type TestContext } from './helpers.ts';
import * as aggregates from '../services/reports/aggregates.ts';
import * as categories from '../services/ledger/categories.ts';
import { FragmentCache } from '../routes/support/fragment-cache.ts';

/**
 * The dashboard and P&L fragments are rendered once per data version and reused. These
 * tests fill that cache, change what the page shows the way other writers would (straight
 * in the database, as an import, a sync, a job or another web process does), and check
 * that the next request shows the change.
 */
let ctx: TestContext;
let bizId: string;
let owner: Awaited<ReturnType<typeof signIn>>;
let cat: Record<string, string>;
let productId: string;

const NOV = '?preset=custom&from=2026-11-01&to=2026-11-25';

/** The text of a dashboard card's value, e.g. "$500.00". */
function card(html: string, figure: string): string {
  const m = new RegExp(`data-figure="${figure}"[^>]*>[\\s\\S]*?class="kpi-value[^"]*">([\\s\\S]*?)</span>`).exec(html);
  assert.ok(m, `no ${figure} card`);
  return m[1].replace(/<[^>]+>/g, '').trim();
}

async function dashboard(): Promise<string> {
  const res = await owner.agent.get(`/b/${bizId}${NOV}`);
  assert.equal(res.status, 200);
  return res.text;
}

async function pnlPage(): Promise<string> {
  const res = await owner.agent.get(`/b/${bizId}/pnl${NOV}`);
  assert.equal(res.status, 200);
  return res.text;
}

before(async () => {
  ctx = await createTestApp();
  const user = await insertUser(ctx.db);
  bizId = (await insertBusiness(ctx.db, user.id, { name: 'Cache Co' })).id;
  cat = Object.fromEntries((await ctx.db('categories').where('business_id', bizId).select('id', 'name')).map((c: { id: string; name: string }) => [c.name, c.id]));
  [{ id: productId }] = await ctx.db('products').insert({ business_id: bizId, sku: 'SKU-A', name: 'Alpha', currency: 'USD', price: 5_000 }).returning('id');
  await insertLedgerRows(ctx.db, bizId, [
    { kind: 'transfer', amount: 100_000, occurred_on: '2026-10-01', description: 'Opening balance' },
    { kind: 'sale', amount: 50_000, occurred_on: '2026-11-02', category_id: cat.Sales, product_id: productId, quantity: 1 },
    { kind: 'expense', amount: -20_000, occurred_on: '2026-11-03', category_id: cat.Rent, description: 'Rent', external_id: 'rent-nov' },
  ]);
  owner = await signIn(ctx.app, user.email, user.password);
});
after(() => ctx.close());

describe('cached reports follow every change', () => {
  test('a ledger row inserted, edited or deleted by another writer shows on the next request', async () => {
    assert.equal(card(await dashboard(), 'revenue'), '$500.00');
    assert.equal(card(await dashboard(), 'revenue'), '$500.00', 'the same page again, from the cache');

    await insertLedgerRows(ctx.db, bizId, [{ kind: 'sale', amount: 25_000, occurred_on: '2026-11-10', category_id: cat.Sales, external_id: 'late-sale' }]);
    assert.equal(card(await dashboard(), 'revenue'), '$750.00');

    await ctx.db('transactions').where({ business_id: bizId, external_id: 'late-sale' }).update({ amount: 30_000, amount_base: 30_000 });
    assert.equal(card(await dashboard(), 'revenue'), '$800.00');

    await ctx.db('transactions').where({ business_id: bizId, external_id: 'late-sale' }).delete();
    assert.equal(card(await dashboard(), 'revenue'), '$500.00');
  });

  test('the htmx fragment and the P&L follow the ledger too', async () => {
    const fragment = () => owner.agent.get(`/b/${bizId}${NOV}`).set('HX-Request', 'true');
    assert.equal(card((await fragment()).text, 'expenses'), '$200.00');
    const before = await pnlPage();
    assert.match(before, /\$200\.00/);
    await insertLedgerRows(ctx.db, bizId, [{ kind: 'expense', amount: -1_234, occurred_on: '2026-11-04', category_id: cat.Rent, description: 'Rent top-up' }]);
    assert.match(await pnlPage(), /\$212\.34/);
    assert.equal(card((await fragment()).text, 'expenses'), '$212.34');
  });

  test('the dashboard figures of the JSON API follow the ledger too', async () => {
    const stats = async () => (await owner.agent.get(`/api/v1/dashboard/stats?business_id=${bizId}&preset=custom&from=2026-11-01&to=2026-11-25`).expect(200)).body;
    const before = (await stats()).revenue.value;
    assert.equal((await stats()).revenue.value, before);
    await insertLedgerRows(ctx.db, bizId, [{ kind: 'sale', amount: 999, occurred_on: '2026-11-11', category_id: cat.Sales }]);
    assert.equal((await stats()).revenue.value, before + 999);
  });

  test('a renamed category shows on the P&L', async () => {
    assert.match(await pnlPage(), />Rent</);
    await categories.update(ctx.db, bizId, cat.Rent, { name: 'Office rent', icon: 'home', kind: 'expense' });
    const html = await pnlPage();
    assert.match(html, /Office rent/);
    assert.doesNotMatch(html, />Rent</);
  });

  test('a renamed product, new campaign figures and a new readiness score show on the dashboard', async () => {
    let html = await dashboard();
    assert.match(html, /Alpha/);
    assert.equal(card(html, 'worst_campaign'), '—');
    assert.doesNotMatch(html, /data-figure="readiness"/);

    await ctx.db('products').where({ id: productId }).update({ name: 'Alpha Plus' });
    const [campaign] = await ctx.db('ad_campaigns').insert({ business_id: bizId, platform: 'meta', external_id: 'c1', name: 'Winter push' }).returning('id');
    await ctx.db('ad_campaign_stats').insert({ campaign_id: campaign.id, business_id: bizId, day: '2026-11-05', spend: 4_000, revenue: 2_000, conversions: 1, currency: 'USD' });
    await ctx
      .db('readiness_scores')
      .insert({ business_id: bizId, as_of: '2026-11-25', score: 61, tier: 'ready', components: JSON.stringify([]), inputs: JSON.stringify({}), computed_at: ctx.clock.now() });

    html = await dashboard();
    assert.match(html, /Alpha Plus/);
    assert.equal(card(html, 'worst_campaign'), 'ROAS 0.5');
    assert.match(card(html, 'readiness'), /^61/);
  });

  test('repairing drifted aggregates shows the repaired figures at once', async () => {
    // Drift the stored totals behind the triggers' back, and show a period not shown before:
    // the page shows (and keeps) what is stored.
    const period = `/b/${bizId}?preset=custom&from=2026-11-02&to=2026-11-25`;
    const revenue = async () => Math.round(Number(card((await owner.agent.get(period)).text, 'revenue').replace(/[$,]/g, '')) * 100);
    const ledger = Number((await ctx.db('transactions').where({ business_id: bizId, kind: 'sale' }).where('occurred_on', '>=', '2026-11-02').sum({ s: 'amount_base' }).first())!.s);
    await ctx.db('daily_totals').where({ business_id: bizId, day: '2026-11-02', kind: 'sale' }).increment('amount', 100_000);
    assert.equal(await revenue(), ledger + 100_000);
    await aggregates.rebuild(ctx.db, bizId);
    assert.equal(await revenue(), ledger);
  });

  test('a viewer sees the figures the owner sees, and a stranger is refused', async () => {
    const viewer = await signedInMember(ctx, bizId, 'viewer');
    const res = await viewer.agent.get(`/b/${bizId}${NOV}`);
    assert.equal(card(res.text, 'revenue'), card(await dashboard(), 'revenue'));
    const strangerUser = await insertUser(ctx.db);
    const stranger = await signIn(ctx.app, strangerUser.email, strangerUser.password);
    for (const path of ['', '/pnl']) {
      const refused = await stranger.agent.get(`/b/${bizId}${path}${NOV}`);
      assert.equal(refused.status, 403);
      assert.doesNotMatch(refused.text, /Cache Co|\$500\.00/);
    }
  });
});

describe('cached pages follow who is asking', () => {
  test('each session gets a page with its own CSRF token, and a flash message is shown once', async () => {
    const user = await insertUser(ctx.db);
    await ctx.db('memberships').insert({ business_id: bizId, user_id: user.id, role: 'member' });
    const first = await signIn(ctx.app, user.email, user.password);
    const second = await signIn(ctx.app, user.email, user.password);
    for (const s of [first, second, first, second]) {
      const page = await s.agent.get(`/b/${bizId}${NOV}`);
      assert.equal(csrfFrom(page.text), s.csrf, "the page carries its own session's token");
    }
    assert.notEqual(first.csrf, second.csrf);

    // A form that redirects with a flash message: the next page shows it, the one after does not.
    const res = await first.agent.post('/account/profile').type('form').send({ _csrf: first.csrf, name: 'Renamed Person' });
    assert.equal(res.status, 303);
    const after = await first.agent.get(`/b/${bizId}${NOV}`);
    assert.match(after.text, /Renamed Person/, 'the new name is in the header at once');
    assert.match(after.text, /class="flash flash-success"[^>]*>Profile saved\./);
    const again = await first.agent.get(`/b/${bizId}${NOV}`);
    assert.match(again.text, /Renamed Person/);
    assert.doesNotMatch(again.text, /class="flash flash-/, 'a flash message is shown once');
  });

  test('a renamed business shows in the header and switcher on the next request', async () => {
    assert.match(await dashboard(), /Cache Co/);
    await ctx.db('businesses').where({ id: bizId }).update({ name: 'Cache Company Ltd' });
    const html = await dashboard();
    assert.match(html, /<h1 class="truncate" title="Cache Company Ltd" tabindex="0">Cache Company Ltd<\/h1>/);
    assert.doesNotMatch(html, />Cache Co</);
  });
});

describe('the fragment cache', () => {
  test('keeps at most its size, dropping the least recently used first', async () => {
    const cache = new FragmentCache(40);
    const make = (v: string) => async () => v;
    await cache.getOrCreate('a', make('a'.repeat(10)));
    await cache.getOrCreate('b', make('b'.repeat(10)));
    await cache.getOrCreate('c', make('c'.repeat(10)));
    await cache.getOrCreate('a', make('never made'));
    await cache.getOrCreate('d', make('d'.repeat(10)));
    await cache.getOrCreate('e', make('e'.repeat(10)));
    assert.equal(cache.size, 4, 'b, the least recently used, made room');
    assert.equal(await cache.getOrCreate('a', make('made again')), 'a'.repeat(10));
    assert.equal(await cache.getOrCreate('b', make('made again')), 'made again');
  });

  test('requests for a fragment being made wait for it instead of making it again', async () => {
    const cache = new FragmentCache(1000);
    let made = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const create = async () => {
      made++;
      await gate;
      return 'cards';
    };
    const all = Promise.all([cache.getOrCreate('k', create), cache.getOrCreate('k', create), cache.getOrCreate('k', create)]);
    release();
    assert.deepEqual(await all, ['cards', 'cards', 'cards']);
    assert.equal(made, 1);
  });

  test('a failed render is not kept: the next request tries again', async () => {
    const cache = new FragmentCache(1000);
    await assert.rejects(
      cache.getOrCreate('k', async () => Promise.reject(new Error('database down'))),
      /database down/,
    );
    assert.equal(await cache.getOrCreate('k', async () => 'cards'), 'cards');
  });
});
