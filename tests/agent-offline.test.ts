import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addDays } from '../services/core/clock.ts';
import { seedDemo } from '../services/demo.ts';
import { fixedClock } from '../services/core/clock.ts';
import { formatMoney } from '../services/core/money.ts';
import * as readiness from '../services/readiness/scores.ts';
import * as recommendations from '../services/readiness/recommendations.ts';
import { recommend } from '../services/readiness/recommendation-rules.ts';
import { indexKnowledge } from '../services/agent/knowledge.ts';
import { answerOffline, planFor } from '../services/agent/offline.ts';
import { runTool, toolContext } from '../services/agent/tools.ts';
import * as metrics from '../services/reports/metrics.ts';
import * as forecasting from '../services/reports/forecast/forecast.ts';
import { comparisonIn, periodIn } from '../services/agent/question-period.ts';
import type { Db } from '../services/core/db.ts';
import { createTestDb, insertBusiness, insertLedgerRows, insertUser } from './helpers.ts';
import { calm } from './fixtures.ts';

const TODAY = '2026-11-25';
const CTX = toolContext(fixedClock(`${TODAY}T12:00:00Z`));
const usd = (minor: number) => formatMoney(minor, 'USD');

describe('periods named in questions', () => {
  test('relative and named periods resolve against the given day', () => {
    assert.deepEqual(periodIn('how did we do last month', TODAY), { from: '2026-10-01', to: '2026-10-31', label: 'October 2026' });
    assert.deepEqual(periodIn('software last quarter', TODAY), { from: '2026-07-01', to: '2026-09-30', label: 'Q3 2026' });
    assert.deepEqual(periodIn('rent this year', TODAY), { from: '2026-01-01', to: TODAY, label: '2026 so far' });
    assert.deepEqual(periodIn('in the last 90 days', TODAY), { from: '2026-08-28', to: TODAY, label: 'the last 90 days' });
    assert.equal(periodIn('revenue in December', TODAY)!.from, '2025-12-01', 'a month still ahead means last year’s');
    assert.equal(periodIn('last quarter', '2026-02-10')!.from, '2025-10-01');
    assert.equal(periodIn('what may we spend', TODAY), null, '"may" alone is not the month');
    assert.equal(periodIn("what's my runway", TODAY), null);
  });

  test('a comparison sets like against like: the days so far against the same days one period earlier, a whole period against the whole one before', () => {
    const pair = (q: string, today = TODAY) => {
      const c = comparisonIn(q, today);
      return [c.current.from, c.current.to, c.previous.from, c.previous.to];
    };
    assert.deepEqual(pair('compare this month to last month'), ['2026-11-01', TODAY, '2026-10-01', '2026-10-25']);
    assert.deepEqual(pair('this month vs last month', '2026-03-31'), ['2026-03-01', '2026-03-31', '2026-02-01', '2026-02-28'], 'the month before is clipped to its own end');
    assert.deepEqual(pair('compare last month with the month before'), ['2026-10-01', '2026-10-31', '2026-09-01', '2026-09-30']);
    assert.deepEqual(pair('why did profit drop?'), ['2026-10-01', '2026-10-31', '2026-09-01', '2026-09-30'], 'no period named: the last complete month');
    assert.deepEqual(pair('this quarter against last quarter'), ['2026-10-01', TODAY, '2026-07-01', '2026-08-25']);
    assert.deepEqual(pair('compare last quarter'), ['2026-07-01', '2026-09-30', '2026-04-01', '2026-06-30']);
    assert.deepEqual(pair('year to date vs last year'), ['2026-01-01', TODAY, '2025-01-01', '2025-11-25']);
    assert.deepEqual(pair('compare September'), ['2026-09-01', '2026-09-30', '2026-08-01', '2026-08-31']);
  });
});

describe('the offline analyst on the demo business', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let store: string;

  // Independent figures, straight from the ledger with SQL written for the test.
  const sum = async (where: (q: ReturnType<Db>) => unknown) => {
    const q = db('transactions').where({ business_id: store });
    where(q);
    return Number((await q.first(db.raw('coalesce(sum(amount_base), 0)::bigint as s'))).s);
  };
  const spent = async (category: string | null, from: string, to: string, vendor?: string) => {
    const q = db('transactions as t').leftJoin('categories as c', 'c.id', 't.category_id').where({ 't.business_id': store, 't.kind': 'expense' }).whereBetween('t.occurred_on', [from, to]);
    if (category) q.where('c.name', category);
    if (vendor) q.where('t.counterparty', vendor);
    return -Number((await q.first(db.raw('coalesce(sum(t.amount_base), 0)::bigint as s'))).s);
  };
  const revenue = (from: string, to: string) => sum((q) => q.whereIn('kind', ['sale', 'refund', 'chargeback', 'other_income']).whereBetween('occurred_on', [from, to]));
  const net = (from: string, to: string) => sum((q) => q.whereNotIn('kind', ['payout', 'transfer']).whereBetween('occurred_on', [from, to]));

  before(async () => {
    ({ db, drop } = await createTestDb());
    const clock = fixedClock(`${TODAY}T12:00:00Z`);
    await seedDemo(db, clock, { days: 150 });
    store = (await db('businesses').where({ name: 'Northwind Goods' }).first('id')).id;
    await readiness.record(db, clock, store, TODAY, { ...calm, chargeback_ratio: 0.0095, runway_months: 4 });
    await recommendations.sync(db, clock, store, recommend({ ...calm, runway_months: 4, chargeback_ratio: 0.0095 }));
    await indexKnowledge(db, clock);
  });
  after(() => drop());

  type Row = [question: string, intent: string, tools: string[], expected: () => Promise<string[]>];
  const table: Row[] = [
    ["What's my runway?", 'runway', ['metric_summary'], async () => [usd(await sum((q) => q.whereNot('kind', 'payout').where('occurred_on', '<=', TODAY)))]],
    ['How much cash do we have in the bank?', 'runway', ['metric_summary'], async () => [usd(await sum((q) => q.whereNot('kind', 'payout')))]],
    [
      'Are we burning money?',
      'runway',
      ['metric_summary'],
      async () => {
        // Net burn as the glossary defines it: the average monthly net outflow of the last three complete months.
        const n = await net('2026-08-01', '2026-10-31');
        return [n < 0 ? usd(Math.round(-n / 3)) : 'not burning'];
      },
    ],
    ["What's hurting my score?", 'score_weak', ['readiness_breakdown'], async () => [`**${(await readiness.latest(db, store))!.score}/100**`, 'Chargeback ratio', '0.95%']],
    [
      'Explain the readiness score',
      'score_explained',
      ['readiness_breakdown', 'knowledge_search'],
      async () => [`${(await readiness.latest(db, store))!.score}/100`, '[Source: readiness-score-explained]'],
    ],
    ['What is my funding readiness score?', 'score', ['readiness_breakdown'], async () => [`${(await readiness.latest(db, store))!.score}/100`]],
    ['Am I ready for funding?', 'score', ['readiness_breakdown'], async () => [`${(await readiness.latest(db, store))!.score}/100`]],
    ['What should I do next?', 'recommendations', ['top_recommendations'], async () => [(await recommendations.list(db, store, { status: 'open', priority: 'all' }))[0].title]],
    ['Show me your recommendations', 'recommendations', ['top_recommendations'], async () => [`**${(await recommendations.list(db, store, { status: 'open', priority: 'all' })).length}** open`]],
    ['How much did we spend on software last quarter?', 'spending', ['expense_search'], async () => [usd(await spent('Software', '2026-07-01', '2026-09-30')), 'Q3 2026']],
    ['What did rent cost us this year?', 'spending', ['expense_search'], async () => [usd(await spent('Rent', '2026-01-01', TODAY))]],
    ['How much did we pay for payroll last month?', 'spending', ['expense_search'], async () => [usd(await spent('Payroll', '2026-10-01', '2026-10-31'))]],
    ['How much went on salaries in October?', 'spending', ['expense_search'], async () => [usd(await spent('Payroll', '2026-10-01', '2026-10-31'))]],
    ['How much have we paid Klaviyo in the last 90 days?', 'spending', ['expense_search'], async () => [usd(await spent(null, '2026-08-28', TODAY, 'Klaviyo'))]],
    ['What were our utilities bills this year?', 'spending', ['expense_search'], async () => [usd(await spent('Utilities', '2026-01-01', TODAY))]],
    ['List our expenses last month', 'spending', ['expense_search'], async () => [usd(await spent(null, '2026-10-01', '2026-10-31'))]],
    ['What did we spend on subscriptions in September?', 'spending', ['expense_search'], async () => [usd(await spent('Software', '2026-09-01', '2026-09-30'))]],
    ['How did we do last month?', 'pnl', ['profit_and_loss'], async () => [usd(await revenue('2026-10-01', '2026-10-31')), usd(await net('2026-10-01', '2026-10-31'))]],
    ['What was our revenue in September?', 'pnl', ['profit_and_loss'], async () => [usd(await revenue('2026-09-01', '2026-09-30'))]],
    ['Profit this quarter', 'pnl', ['profit_and_loss'], async () => [usd(await net('2026-10-01', TODAY))]],
    ['How are sales going?', 'performance', ['metric_summary'], async () => [usd(await revenue('2026-10-27', TODAY))]],
    [
      "What's our gross margin?",
      'margin',
      ['metric_summary'],
      async () => {
        const rev = await revenue('2026-08-28', TODAY);
        const cogs = await sum((q) => q.where('kind', 'cogs').whereBetween('occurred_on', ['2026-08-28', TODAY]));
        return [`${(((rev + cogs) / rev) * 100).toFixed(1)} %`];
      },
    ],
    [
      'How many chargebacks have we had?',
      'chargebacks',
      ['metric_summary', 'knowledge_search'],
      async () => {
        const n = await db('transactions').where({ business_id: store, kind: 'chargeback' }).whereBetween('occurred_on', ['2026-08-28', TODAY]).count({ n: '*' }).first();
        return [`**${Number(n!.n)}** chargeback`, '[Source: reducing-chargebacks]'];
      },
    ],
    ['What is our refund rate?', 'refunds', ['metric_summary'], async () => [usd(-(await sum((q) => q.where('kind', 'refund').whereBetween('occurred_on', ['2026-08-28', TODAY]))))]],
    [
      'How many transactions are in the ledger?',
      'context',
      ['business_context'],
      async () => [new Intl.NumberFormat('en-US').format(Number((await db('transactions').where({ business_id: store }).count({ n: '*' }).first())!.n))],
    ],
    ['Tell me about my business', 'context', ['business_context'], async () => ['**Northwind Goods**', 'USD']],
    ["What's a good gross margin?", 'knowledge', ['knowledge_search'], async () => ['[Source: unit-economics]']],
    ['How does payout timing work?', 'knowledge', ['knowledge_search'], async () => ['[Source: payout-timing]']],
  ];

  test('the table holds at least 25 questions', () => assert.ok(table.length >= 25));

  for (const [question, intent, tools, expected] of table) {
    test(`"${question}" → ${tools.join(' + ')}`, async () => {
      const reply = await answerOffline(db, store, question, CTX);
      assert.equal(reply.intent, intent);
      assert.deepEqual(
        reply.toolCalls.map((c) => c.name),
        tools,
      );
      for (const figure of await expected()) assert.ok(reply.text.includes(figure), `answer to "${question}" should contain ${figure}:\n${reply.text}`);
      assert.match(reply.text, /offline analyst/);
      assert.equal(reply.analyst, 'offline');
      if (tools.some((t) => t !== 'knowledge_search')) assert.match(reply.text, /\]\(\/b\/[0-9a-f-]{36}\//, 'figures link to where they come from');
    });
  }

  test('the answer links figures to the page they came from', async () => {
    const reply = await answerOffline(db, store, 'How much did we spend on software last quarter?', CTX);
    const software = (await db('categories').where({ business_id: store, name: 'Software' }).first('id')).id;
    assert.deepEqual(
      reply.links.map((l) => l.href),
      [`/b/${store}/expenses?category=${software}&from=2026-07-01&to=2026-09-30`],
      'the expense list filters by category id, as its own select does',
    );
    const pnl = await answerOffline(db, store, 'How did we do last month?', CTX);
    assert.ok(
      pnl.links.some((l) => l.href === `/b/${store}/pnl?preset=custom&from=2026-10-01&to=2026-10-31`),
      'the P&L opens on the month the answer is about',
    );
  });

  test('products, campaigns and the forecast are answered from their reports, with the figures the ledger gives', async () => {
    const from = addDays(TODAY, -89);
    const [topSku] = await db('transactions as t')
      .join('products as p', 'p.id', 't.product_id')
      .where({ 't.business_id': store })
      .whereIn('t.kind', ['sale', 'refund', 'chargeback'])
      .whereBetween('t.occurred_on', [from, TODAY])
      .groupBy('p.sku')
      .select('p.sku', db.raw('sum(t.amount_base)::bigint as revenue'))
      .orderBy('revenue', 'desc')
      .limit(1);
    const products = await answerOffline(db, store, 'What are my top products?', CTX);
    assert.equal(products.intent, 'products');
    assert.deepEqual(
      products.toolCalls.map((c) => c.name),
      ['sku_performance'],
    );
    assert.ok(products.text.includes(`**${topSku.sku}**`), products.text);

    const [worst] = await db('ad_campaign_stats as s')
      .join('ad_campaigns as c', 'c.id', 's.campaign_id')
      .where('c.business_id', store)
      .whereBetween('s.day', [from, TODAY])
      .groupBy('c.name')
      .select('c.name', db.raw('sum(s.revenue)::float / nullif(sum(s.spend), 0) as roas'))
      .orderBy('roas', 'asc')
      .limit(1);
    const campaigns = await answerOffline(db, store, 'Which is my worst campaign?', CTX);
    assert.equal(campaigns.intent, 'campaigns');
    assert.ok(campaigns.text.includes(`**${worst.name}**`), campaigns.text);
    assert.ok(campaigns.text.includes(`**${Math.round(worst.roas * 100) / 100}**`), campaigns.text);

    const forecast = await answerOffline(db, store, 'Forecast our cash', CTX);
    assert.equal(forecast.intent, 'forecast');
    assert.deepEqual(
      forecast.toolCalls.map((c) => c.name),
      ['cash_forecast'],
    );
    assert.match(forecast.text, /below zero within that time is \*\*\d/);
    assert.ok(forecast.links.some((l) => l.href === `/b/${store}/forecast?horizon=180`));
    const page = (await forecasting.forecast(db, store, TODAY, { horizonDays: 180 }))!;
    assert.ok(forecast.text.includes(formatMoney(page.p50[179], 'USD')), 'the stored forecast says what the forecast page computes');
  });

  test('a question the rules do not know falls back to the guides, and the plan is the same every time', () => {
    const vocab = { categories: ['Software'], vendors: [] };
    assert.deepEqual(planFor('zzz qqq', TODAY, vocab), planFor('zzz qqq', TODAY, vocab));
    assert.equal(planFor('zzz qqq', TODAY, vocab).intent, 'knowledge');
  });
});

describe('metric_summary and the metrics page', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let businessId: string;
  const clock = fixedClock(`${TODAY}T12:00:00Z`);

  before(async () => {
    ({ db, drop } = await createTestDb());
    const owner = await insertUser(db);
    businessId = (await insertBusiness(db, owner.id)).id;
    await insertLedgerRows(db, businessId, [
      { kind: 'sale', amount: 500_00, amount_base: 500_00, occurred_on: '2026-11-01' },
      { kind: 'refund', amount: -20_00, amount_base: -20_00, occurred_on: '2026-11-02' },
      { kind: 'expense', amount: -900_00, amount_base: -900_00, occurred_on: '2026-11-03' },
    ]);
  });
  after(() => drop());

  test('the tool states the figures of the snapshot the metrics page shows', async () => {
    const { data } = await runTool(db, businessId, 'metric_summary', {}, toolContext(clock));
    const page = (await metrics.page(db, businessId, TODAY)).latest!;
    assert.equal(page.as_of, TODAY, 'the tool stored today’s snapshot, so the page shows it');
    const m = page.metrics;
    const d = data as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(d.cash.minor, m.cash);
    assert.equal(d.monthly_burn.minor, m.burn);
    assert.equal(d.runway_months, Math.round(m.runway_months! * 10) / 10);
    assert.equal(d.refund_rate_90d.value, Math.round(m.refund_rate! * 10_000) / 10_000);
    assert.equal(d.last_30_days.revenue.minor, m.revenue_total);
    assert.equal(d.last_30_days.net.minor, m.net_profit);
  });

  test('a snapshot from the last hour is read as stored; an older one is computed again', async () => {
    await metrics.snapshotMetrics(db, businessId, TODAY, clock.now());
    await insertLedgerRows(db, businessId, [{ kind: 'sale', amount: 100_00, amount_base: 100_00, occurred_on: TODAY }]);
    const stored = (await metrics.latest(db, businessId))!.metrics.cash;
    clock.advance(59 * 60_000);
    const within = await runTool(db, businessId, 'metric_summary', {}, toolContext(clock));
    assert.equal((within.data.cash as { minor: number }).minor, stored, 'within the hour: the stored snapshot, as the page shows it');
    clock.advance(2 * 60_000);
    const after = await runTool(db, businessId, 'metric_summary', {}, toolContext(clock));
    assert.equal((after.data.cash as { minor: number }).minor, stored + 100_00);
    assert.equal((await metrics.latest(db, businessId))!.metrics.cash, stored + 100_00, 'and stored, so the page shows the new figures too');
  });

  test('a business without ledger rows gets a plain answer, not an error', async () => {
    const owner = await insertUser(db);
    const empty = (await insertBusiness(db, owner.id)).id;
    const reply = await answerOffline(db, empty, "What's my runway?", toolContext(clock));
    assert.match(reply.text, /no ledger rows yet/);
  });
});
