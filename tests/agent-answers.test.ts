import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Express } from 'express';
import { seedDemo, DEMO_EMAIL, DEMO_PASSWORD } from '../services/demo.ts';
import { formatMoney } from '../services/core/money.ts';
import * as readiness from '../services/readiness/scores.ts';
import * as recommendations from '../services/readiness/recommendations.ts';
import { recommend } from '../services/readiness/recommendation-rules.ts';
import { indexKnowledge } from '../services/agent/knowledge.ts';
import { answerOffline } from '../services/agent/offline.ts';
import { answerHtml } from '../services/agent/markdown.ts';
import { toolContext } from '../services/agent/tools.ts';
import type { Db } from '../services/core/db.ts';
import { createTestApp, insertLedgerRows, insertUser, signIn, TODAY, type TestContext } from './helpers.ts';
import { calm } from './fixtures.ts';

/**
 * The offline analyst's answers to owner questions on both demo businesses, each figure
 * checked against SQL written here (not the tools' or the reports' code), and each
 * link the answer gives fetched through the app as the owner: a 200 page that shows
 * the same figure.
 */

type Biz = { id: string; currency: string };
type Expect = {
  /** Text the answer must contain, in this order when `ordered`. */
  figures: string[];
  ordered?: boolean;
  /** Each linked page must show at least one of these (default: the figures that are amounts). */
  pages?: string[];
  /** Knowledge documents the answer must cite; with `onlyHowTo`, every citation is a how-to guide. */
  cites?: string[];
  onlyHowTo?: boolean;
};
type Row = { biz: 'store' | 'studio'; question: string; intent: string; expect: (b: Biz) => Promise<Expect> };

describe('the offline analyst answers owner questions with figures the ledger and the linked pages agree on', () => {
  let ctx: TestContext;
  let db: Db;
  let agent: Awaited<ReturnType<typeof signIn>>['agent'];
  const biz: Record<'store' | 'studio', Biz> = {} as never;

  before(async () => {
    ctx = await createTestApp();
    db = ctx.db;
    await seedDemo(db, ctx.clock, { days: 150 });
    for (const [key, name] of [
      ['store', 'Northwind Goods'],
      ['studio', 'Harbor Design Studio'],
    ] as const) {
      const b = await db('businesses').where({ name }).first('id', 'currency');
      biz[key] = { id: b.id, currency: b.currency };
    }
    await readiness.record(db, ctx.clock, biz.store.id, TODAY, { ...calm, runway_months: 4 });
    await recommendations.sync(db, ctx.clock, biz.store.id, recommend({ ...calm, runway_months: 4 }));
    await indexKnowledge(db, ctx.clock);
    // Coffee is no category and no vendor Bursar knows by that word: a search by keyword.
    const meals = (await db('categories').where({ business_id: biz.store.id, name: 'Meals' }).first('id')).id;
    await insertLedgerRows(db, biz.store.id, [
      { amount: -18_40, occurred_on: '2026-10-05', description: 'Coffee beans for the office', counterparty: 'Blue Bottle Coffee', category_id: meals },
      { amount: -9_75, occurred_on: '2026-10-20', description: 'Team coffee', counterparty: 'Corner Cafe' },
      { amount: -22_10, occurred_on: '2026-11-03', description: 'Coffee beans for the office', counterparty: 'Blue Bottle Coffee', category_id: meals },
    ]);
    // The metrics the seed computed are read as stored for an hour: past it, they include the coffee.
    ctx.clock.advance(61 * 60_000);
    ({ agent } = await signIn(ctx.app as Express, DEMO_EMAIL, DEMO_PASSWORD));
  });
  after(() => ctx.close());

  // ---- independent figures, straight from the ledger ----
  const money = (b: Biz, minor: number) => formatMoney(minor, b.currency);
  const one = async (q: ReturnType<Db>, expr: string) => Number(((await q.first(db.raw(`${expr} as v`))) as { v: number | string | null } | undefined)?.v ?? 0);
  const kindSum = (b: Biz, kinds: string[], from: string, to: string) =>
    one(db('transactions').where('business_id', b.id).whereIn('kind', kinds).whereBetween('occurred_on', [from, to]), 'coalesce(sum(amount_base), 0)::bigint');
  const netRevenue = (b: Biz, from: string, to: string) => kindSum(b, ['sale', 'other_income', 'refund', 'chargeback'], from, to);
  const netProfit = (b: Biz, from: string, to: string) => kindSum(b, ['sale', 'other_income', 'refund', 'chargeback', 'cogs', 'fee', 'ad_spend', 'expense'], from, to);
  const spent = (b: Biz, from: string, to: string, f: { category?: string; vendor?: string; text?: string } = {}) => {
    const q = db('transactions as t').leftJoin('categories as c', 'c.id', 't.category_id').where({ 't.business_id': b.id, 't.kind': 'expense' }).whereBetween('t.occurred_on', [from, to]);
    if (f.category) q.where('c.name', f.category);
    if (f.vendor) q.where('t.counterparty', f.vendor);
    if (f.text) q.where((w) => w.whereILike('t.description', `%${f.text}%`).orWhereILike('t.counterparty', `%${f.text}%`));
    return one(q, 'coalesce(-sum(t.amount_base), 0)::bigint');
  };
  const largestExpenses = async (b: Biz, from: string, to: string, n = 5) => {
    const rows = await db('transactions').where({ business_id: b.id, kind: 'expense' }).whereBetween('occurred_on', [from, to]).orderBy('amount_base', 'asc').limit(n).pluck('amount_base');
    return rows.map((a: number) => `**${money(b, -Number(a))}**`);
  };
  const topBy = async (b: Biz, kinds: string[], from: string, to: string, sign: 1 | -1) => {
    const [row] = await db('transactions')
      .where('business_id', b.id)
      .whereIn('kind', kinds)
      .whereNotNull('counterparty')
      .whereBetween('occurred_on', [from, to])
      .groupBy('counterparty')
      .select('counterparty', db.raw('sum(amount_base)::bigint as total'))
      .orderByRaw(`sum(amount_base) ${sign === 1 ? 'desc' : 'asc'}, counterparty`)
      .limit(1);
    return { name: row.counterparty as string, total: sign * Number(row.total) };
  };
  /** The P&L's lines as an owner reads them, each operating-expense category on its own; the one whose change moved profit most. */
  const topDriver = async (b: Biz, now: [string, string], before: [string, string]) => {
    const lineOf = `case when t.kind = 'sale' then 'Gross sales' when t.kind = 'other_income' then 'Other income' when t.kind in ('refund', 'chargeback') then 'Refunds and chargebacks'
      when t.kind = 'cogs' then 'Cost of goods' when t.kind = 'fee' then 'Payment fees' when t.kind = 'ad_spend' then 'Ad spend' else coalesce(c.name, 'Uncategorised') end`;
    const rows = await db('transactions as t')
      .leftJoin('categories as c', 'c.id', 't.category_id')
      .where('t.business_id', b.id)
      .whereNotIn('t.kind', ['payout', 'transfer'])
      .whereBetween('t.occurred_on', [before[0], now[1]])
      .groupByRaw(lineOf)
      .select(
        db.raw(`${lineOf} as line`),
        db.raw('coalesce(sum(t.amount_base) filter (where t.occurred_on between ? and ?), 0)::bigint as now', now),
        db.raw('coalesce(sum(t.amount_base) filter (where t.occurred_on between ? and ?), 0)::bigint as before', before),
      );
    const [top] = rows.map((r: { line: string; now: number; before: number }) => ({ line: r.line, effect: Number(r.now) - Number(r.before) })).sort((x, y) => Math.abs(y.effect) - Math.abs(x.effect));
    return { line: `**${top.line}**`, effect: money(b, Math.abs(top.effect)) };
  };
  const cash = (b: Biz) => one(db('transactions').where('business_id', b.id).whereNot('kind', 'payout').where('occurred_on', '<=', TODAY), 'coalesce(sum(amount_base), 0)::bigint');

  const comparison = async (b: Biz, now: [string, string], before: [string, string], why = false): Promise<Expect> => {
    const [n, p] = [await netProfit(b, ...now), await netProfit(b, ...before)];
    const figures = [money(b, n), money(b, p), now[0], now[1], before[0], before[1]];
    if (why) {
      const d = await topDriver(b, now, before);
      figures.push(d.line, d.effect);
    }
    return { figures, pages: [money(b, n), money(b, p)] };
  };
  const largest = async (b: Biz, from: string, to: string): Promise<Expect> => ({
    figures: [...(await largestExpenses(b, from, to)), from, to],
    ordered: true,
    pages: (await largestExpenses(b, from, to)).map((s) => s.replaceAll('*', '')),
  });

  const table: Row[] = [
    // ---- ranking ----
    { biz: 'store', question: 'What are my biggest expenses this quarter?', intent: 'largest_expenses', expect: (b) => largest(b, '2026-10-01', TODAY) },
    { biz: 'store', question: 'What were the largest expenses last month?', intent: 'largest_expenses', expect: (b) => largest(b, '2026-10-01', '2026-10-31') },
    { biz: 'studio', question: 'What are my biggest expenses this quarter?', intent: 'largest_expenses', expect: (b) => largest(b, '2026-10-01', TODAY) },
    { biz: 'studio', question: 'Show me the top expenses in September', intent: 'largest_expenses', expect: (b) => largest(b, '2026-09-01', '2026-09-30') },
    // ---- comparison ----
    {
      biz: 'store',
      question: 'Compare this month to last month',
      intent: 'comparison',
      expect: (b) => comparison(b, ['2026-11-01', TODAY], ['2026-10-01', '2026-10-25']),
    },
    { biz: 'store', question: 'Compare last month with the month before', intent: 'comparison', expect: (b) => comparison(b, ['2026-10-01', '2026-10-31'], ['2026-09-01', '2026-09-30']) },
    { biz: 'studio', question: 'Compare this month to last month', intent: 'comparison', expect: (b) => comparison(b, ['2026-11-01', TODAY], ['2026-10-01', '2026-10-25']) },
    {
      biz: 'studio',
      question: 'How does last month compare against the previous month?',
      intent: 'comparison',
      expect: (b) => comparison(b, ['2026-10-01', '2026-10-31'], ['2026-09-01', '2026-09-30']),
    },
    { biz: 'store', question: 'Compare this quarter vs last quarter', intent: 'comparison', expect: (b) => comparison(b, ['2026-10-01', TODAY], ['2026-07-01', '2026-08-25']) },
    // ---- why did it change ----
    { biz: 'store', question: 'Why did profit drop?', intent: 'why_changed', expect: (b) => comparison(b, ['2026-10-01', '2026-10-31'], ['2026-09-01', '2026-09-30'], true) },
    { biz: 'studio', question: 'Why did profit drop?', intent: 'why_changed', expect: (b) => comparison(b, ['2026-10-01', '2026-10-31'], ['2026-09-01', '2026-09-30'], true) },
    { biz: 'store', question: 'Why did our revenue change last month?', intent: 'why_changed', expect: (b) => comparison(b, ['2026-10-01', '2026-10-31'], ['2026-09-01', '2026-09-30'], true) },
    { biz: 'studio', question: 'Why is profit lower this month?', intent: 'why_changed', expect: (b) => comparison(b, ['2026-11-01', TODAY], ['2026-10-01', '2026-10-25'], true) },
    // ---- largest customer and vendor ----
    ...(['store', 'studio'] as const).map(
      (k): Row => ({
        biz: k,
        question: 'Who is my largest customer?',
        intent: 'customers',
        expect: async (b) => {
          const top = await topBy(b, ['sale', 'refund', 'chargeback'], '2025-12-01', TODAY, 1);
          return { figures: [`**${top.name}**`, money(b, top.total)] };
        },
      }),
    ),
    {
      biz: 'studio',
      question: 'Who was our biggest client last quarter?',
      intent: 'customers',
      expect: async (b) => {
        const top = await topBy(b, ['sale', 'refund', 'chargeback'], '2026-07-01', '2026-09-30', 1);
        return { figures: [`**${top.name}**`, money(b, top.total), '2026-07-01'] };
      },
    },
    ...(['store', 'studio'] as const).map(
      (k): Row => ({
        biz: k,
        question: 'Who is my biggest vendor?',
        intent: 'vendors',
        expect: async (b) => {
          const top = await topBy(b, ['expense'], '2025-12-01', TODAY, -1);
          return { figures: [`**${top.name}**`, money(b, top.total)] };
        },
      }),
    ),
    {
      biz: 'store',
      question: 'Which suppliers did we pay the most this year?',
      intent: 'vendors',
      expect: async (b) => {
        const top = await topBy(b, ['expense'], '2026-01-01', TODAY, -1);
        return { figures: [`**${top.name}**`, money(b, top.total)] };
      },
    },
    // ---- spend by keyword, category and vendor ----
    {
      biz: 'store',
      question: 'What did I spend on coffee?',
      intent: 'spending',
      expect: async (b) => ({ figures: [money(b, 50_25), money(b, await spent(b, '1900-01-01', TODAY, { text: 'coffee' })), '**3**'] }),
    },
    {
      biz: 'store',
      question: 'What did we spend on coffee last month?',
      intent: 'spending',
      expect: async (b) => ({ figures: [money(b, await spent(b, '2026-10-01', '2026-10-31', { text: 'coffee' }))] }),
    },
    {
      biz: 'store',
      question: 'How much did we spend on software last quarter?',
      intent: 'spending',
      expect: async (b) => ({ figures: [money(b, await spent(b, '2026-07-01', '2026-09-30', { category: 'Software' }))] }),
    },
    {
      biz: 'store',
      question: 'How much did we spend on packaging this year?',
      intent: 'spending',
      expect: async (b) => ({ figures: [money(b, await spent(b, '2026-01-01', TODAY, { category: 'Shipping' }))] }),
    },
    {
      biz: 'store',
      question: 'How much have we paid Klaviyo in the last 90 days?',
      intent: 'spending',
      expect: async (b) => ({ figures: [money(b, await spent(b, '2026-08-28', TODAY, { vendor: 'Klaviyo' }))] }),
    },
    {
      biz: 'studio',
      question: 'How much did we spend on rent this year?',
      intent: 'spending',
      expect: async (b) => ({ figures: [money(b, await spent(b, '2026-01-01', TODAY, { category: 'Rent' }))] }),
    },
    {
      biz: 'studio',
      question: 'What did we pay Figma last quarter?',
      intent: 'spending',
      expect: async (b) => ({ figures: [money(b, await spent(b, '2026-07-01', '2026-09-30', { vendor: 'Figma' }))] }),
    },
    { biz: 'studio', question: 'List our expenses last month', intent: 'spending', expect: async (b) => ({ figures: [money(b, await spent(b, '2026-10-01', '2026-10-31'))] }) },
    // ---- the P&L of a period ----
    ...(['store', 'studio'] as const).map(
      (k): Row => ({
        biz: k,
        question: 'How did we do last month?',
        intent: 'pnl',
        expect: async (b) => ({ figures: [money(b, await netRevenue(b, '2026-10-01', '2026-10-31')), money(b, await netProfit(b, '2026-10-01', '2026-10-31'))] }),
      }),
    ),
    { biz: 'store', question: 'What was our revenue in September?', intent: 'pnl', expect: async (b) => ({ figures: [money(b, await netRevenue(b, '2026-09-01', '2026-09-30'))] }) },
    { biz: 'studio', question: 'What was our revenue last quarter?', intent: 'pnl', expect: async (b) => ({ figures: [money(b, await netRevenue(b, '2026-07-01', '2026-09-30'))] }) },
    { biz: 'store', question: 'Profit this quarter', intent: 'pnl', expect: async (b) => ({ figures: [money(b, await netProfit(b, '2026-10-01', TODAY))] }) },
    {
      biz: 'store',
      question: 'What was our gross margin last month?',
      intent: 'margin',
      expect: async (b) => ({ figures: [money(b, (await netRevenue(b, '2026-10-01', '2026-10-31')) + (await kindSum(b, ['cogs'], '2026-10-01', '2026-10-31')))] }),
    },
    {
      biz: 'store',
      question: "What's our gross margin?",
      intent: 'margin',
      expect: async (b) => ({ figures: [money(b, (await netRevenue(b, '2026-08-28', TODAY)) + (await kindSum(b, ['cogs'], '2026-08-28', TODAY)))] }),
    },
    {
      biz: 'studio',
      question: 'How are sales going?',
      intent: 'performance',
      expect: async (b) => ({ figures: [money(b, await netRevenue(b, '2026-10-27', TODAY)), money(b, await netRevenue(b, '2026-08-28', TODAY))] }),
    },
    // ---- cash ----
    ...(['store', 'studio'] as const).map((k): Row => ({ biz: k, question: "What's my runway?", intent: 'runway', expect: async (b) => ({ figures: [money(b, await cash(b))] }) })),
    // ---- products and campaigns, with the answer's range ----
    {
      biz: 'store',
      question: 'What are my top products this quarter?',
      intent: 'products',
      expect: async (b) => {
        const [top] = await db('transactions as t')
          .join('products as p', 'p.id', 't.product_id')
          .where({ 't.business_id': b.id, 't.kind': 'sale' })
          .whereBetween('t.occurred_on', ['2026-10-01', TODAY])
          .groupBy('p.sku')
          .select('p.sku', db.raw('sum(t.amount_base)::bigint as revenue'))
          .orderBy('revenue', 'desc')
          .limit(1);
        return { figures: [`**${top.sku}**`, money(b, Number(top.revenue)), '2026-10-01'] };
      },
    },
    {
      biz: 'store',
      question: 'Which campaign did worst last month?',
      intent: 'campaigns',
      expect: async (b) => {
        const [worst] = await db('ad_campaign_stats as s')
          .join('ad_campaigns as c', 'c.id', 's.campaign_id')
          .where('c.business_id', b.id)
          .whereBetween('s.day', ['2026-10-01', '2026-10-31'])
          .groupBy('c.name')
          .select('c.name', db.raw('sum(s.spend)::bigint as spend'), db.raw('sum(s.revenue)::float / nullif(sum(s.spend), 0) as roas'))
          .orderBy('roas', 'asc')
          .limit(1);
        return { figures: [`**${worst.name}**`, money(b, Number(worst.spend)), '2026-10-01'] };
      },
    },
    // ---- using Bursar: the how-to guides, and nothing else ----
    { biz: 'store', question: 'How do I import a bank statement?', intent: 'how_to', expect: async () => ({ figures: ['Upload and preview'], cites: ['how-to-import-statements'], onlyHowTo: true }) },
    { biz: 'store', question: 'How can I invite my accountant?', intent: 'how_to', expect: async () => ({ figures: ['Send invitation'], cites: ['how-to-members-and-access'], onlyHowTo: true }) },
    { biz: 'studio', question: 'How do I undo a deleted expense?', intent: 'how_to', expect: async () => ({ figures: ['Undo'], cites: ['how-to-expenses'], onlyHowTo: true }) },
    {
      biz: 'studio',
      question: 'How do I create a rule to categorise expenses?',
      intent: 'how_to',
      expect: async () => ({ figures: ['rule'], cites: ['how-to-categories-and-rules'], onlyHowTo: true }),
    },
    { biz: 'store', question: 'Where can I export my expenses to CSV?', intent: 'how_to', expect: async () => ({ figures: ['Export CSV'], onlyHowTo: true }) },
    // ---- the finance guides ----
    { biz: 'store', question: "What's a good gross margin?", intent: 'knowledge', expect: async () => ({ figures: [], cites: ['unit-economics'] }) },
  ];

  test('the table holds at least 40 questions on both demo businesses', () => {
    assert.ok(table.length >= 40, `${table.length} questions`);
    assert.ok(table.some((r) => r.biz === 'store') && table.some((r) => r.biz === 'studio'));
  });

  /** The page a link opens, as a browser shows it: a lazily loaded fragment (the expense totals) is fetched too. */
  async function pageText(href: string): Promise<string> {
    const res = await agent.get(href);
    assert.equal(res.status, 200, `${href} opens`);
    let html = res.text;
    for (const m of html.matchAll(/hx-get="([^"]+)" hx-trigger="load"/g)) {
      const lazy = await agent.get(m[1].replaceAll('&amp;', '&')).set('HX-Request', 'true');
      assert.equal(lazy.status, 200, `${m[1]} loads`);
      html += lazy.text;
    }
    return html;
  }

  for (const row of table) {
    test(`${row.biz === 'store' ? 'Northwind' : 'Harbor'}: "${row.question}" → ${row.intent}`, async () => {
      const b = biz[row.biz];
      const reply = await answerOffline(db, b.id, row.question, toolContext(ctx.clock));
      assert.equal(reply.intent, row.intent, reply.text);
      const e = await row.expect(b);
      let at = -1;
      for (const figure of e.figures) {
        const i = reply.text.indexOf(figure, e.ordered ? at + 1 : 0);
        assert.ok(i >= 0, `the answer to "${row.question}" should contain ${figure}${e.ordered ? ' after the previous figure' : ''}:\n${reply.text}`);
        at = i;
      }
      for (const id of e.cites ?? []) assert.ok(reply.citations.includes(id), `cites ${id}: ${reply.citations.join(', ')}`);
      if (e.onlyHowTo) {
        assert.ok(reply.citations.length > 0, 'cites a how-to guide');
        assert.ok(
          reply.citations.every((c) => c.startsWith('how-to-')),
          `only how-to guides: ${reply.citations.join(', ')}`,
        );
      }
      // No markdown survives rendering: not in the answer's words, nor in an excerpt of a guide.
      const html = answerHtml(reply.text);
      assert.doesNotMatch(html.replace(/<[^>]+>/g, ''), /\*\*|(^|\s)#{1,6}\s|\]\(|`|\s\|\s/, html);

      const amounts = e.pages ?? e.figures.filter((f) => /\d/.test(f) && /[$€]/.test(f)).map((f) => f.replaceAll('*', ''));
      if (reply.links.length) assert.ok(amounts.length, 'an answer with links states an amount its pages show');
      if (amounts.length) assert.match(reply.text, new RegExp(`\\[\\*\\*[^\\]]+\\*\\*\\]\\(/b/${b.id}/`), 'its main amount links in place to the page it is on');
      if (e.figures.some((f) => /[$€]/.test(f))) assert.ok(reply.links.length > 0, 'an answer with amounts links to where they come from');
      for (const link of reply.links) {
        assert.match(link.href, new RegExp(`^/b/${b.id}(/|$)`), 'links stay in the business');
        const page = await pageText(link.href);
        assert.ok(
          amounts.some((a) => page.includes(a)),
          `${link.label} (${link.href}) should show one of ${amounts.join(', ')}`,
        );
        assert.ok(reply.text.includes(`](${link.href})`), 'the answer shows the link');
      }
    });
  }

  test('a stranger cannot open the customers page', async () => {
    const stranger = await insertUser(db);
    const { agent: theirs } = await signIn(ctx.app as Express, stranger.email, stranger.password);
    const res = await theirs.get(`/b/${biz.studio.id}/customers`);
    assert.equal(res.status, 403);
    assert.doesNotMatch(res.text, /Atlas Ferries|Mareva Hotels/);
  });

  test('a link in a chat answer opens its page as a page, not inside the thread or the drawer', async () => {
    const page = await agent.get(`/b/${biz.store.id}/chat`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const posted = await agent.post(`/b/${biz.store.id}/chat/messages`).type('form').send({ _csrf: csrf, message: 'How did we do last month?' });
    assert.equal(posted.status, 303);
    const thread = await agent.get(posted.headers.location.split('#')[0]);
    const answer = /<article class="msg msg-assistant"[^>]*>[\s\S]*?<\/article>/.exec(thread.text)![0];
    assert.match(answer, /^<article[^>]* hx-boost="false"/, 'not boosted: the thread’s hx-target does not apply to its links');
    assert.match(answer, new RegExp(`<a href="/b/${biz.store.id}/pnl\\?preset=custom&amp;from=2026-10-01&amp;to=2026-10-31">`));
  });
});
