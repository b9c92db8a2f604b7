import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, insertBusiness, insertLedgerRows, insertUser, signIn, TODAY, type TestContext } from './helpers.ts';
import { seedDemo, DEMO_EMAIL, DEMO_PASSWORD } from '../services/demo.ts';
import { addDays } from '../services/core/clock.ts';
import { comparisonRange, resolveRange, PRESETS } from '../services/reports/periods.ts';
import { change } from '../services/reports/changes.ts';
import { burn, burnWindow, runway, TERMS } from '../services/reports/definitions.ts';
import * as readiness from '../services/readiness/scores.ts';
import { runTool, toolContext } from '../services/agent/tools.ts';

/** Months in a day count as the definitions count them. */
const MONTH_DAYS = 365.25 / 12;

describe('comparison ranges', () => {
  test('year to date is compared with the same days of last year, not the days of the same length just before', () => {
    const ytd = resolveRange('year_to_date', TODAY);
    assert.deepEqual(comparisonRange('year_to_date', ytd), { from: '2025-01-01', to: '2025-11-25' });
    // On the last day of February of a leap year, with the whole of last February.
    assert.deepEqual(comparisonRange('year_to_date', resolveRange('year_to_date', '2028-02-29')), { from: '2027-01-01', to: '2027-02-28' });
  });

  test('a month is compared with the month before, a quarter with the quarter before, twelve months with the twelve before', () => {
    assert.deepEqual(comparisonRange('last_month', resolveRange('last_month', TODAY)), { from: '2026-09-01', to: '2026-09-30' });
    assert.deepEqual(comparisonRange('this_month', resolveRange('this_month', TODAY)), { from: '2026-10-01', to: '2026-10-25' });
    assert.deepEqual(comparisonRange('this_month', resolveRange('this_month', '2026-03-31')), { from: '2026-02-01', to: '2026-02-28' });
    assert.deepEqual(comparisonRange('quarter', resolveRange('quarter', TODAY)), { from: '2026-07-01', to: '2026-08-25' });
    assert.deepEqual(comparisonRange('last_12_months', resolveRange('last_12_months', TODAY)), { from: '2024-12-01', to: '2025-11-25' });
    assert.deepEqual(comparisonRange('last_30_days', resolveRange('last_30_days', TODAY)), { from: '2026-09-27', to: '2026-10-26' });
    assert.deepEqual(comparisonRange('custom', { from: '2026-11-01', to: '2026-11-25' }), { from: '2026-10-07', to: '2026-10-31' });
  });
});

describe('changes', () => {
  const money = { unit: 'money' as const, upIsGood: true };
  test('a change from nothing is "new", across a sign change or from a near-zero base "—", never a huge percentage', () => {
    assert.deepEqual(change(50_000, 0, money), { pct: null, text: 'new', tone: 'none' });
    assert.deepEqual(change(0, 0, money), { pct: 0, text: 'no change', tone: 'flat' });
    assert.deepEqual(change(-444_710, 10_000, money), { pct: null, text: '—', tone: 'none' }, 'a loss after a profit is not −4,547 %');
    assert.deepEqual(change(100_000, 2_000, money), { pct: null, text: 'new', tone: 'none' }, 'a base of 2 % of the figure is near zero');
    assert.deepEqual(change(100_000, -2_000, money), { pct: null, text: '—', tone: 'none' });
    assert.deepEqual(change(100_000, null, money), { pct: null, text: '—', tone: 'none' });
  });

  test('an ordinary change is a percentage, green or red by whether a rise is good news; no change is neutral', () => {
    assert.deepEqual(change(85_000, 40_000, money), { pct: 112.5, text: '+112.5 %', tone: 'good' });
    assert.deepEqual(change(95_000, 62_200, { unit: 'money', upIsGood: false }), { pct: 52.7, text: '+52.7 %', tone: 'bad' });
    assert.deepEqual(change(-5_000, -22_200, money), { pct: 77.5, text: '+77.5 %', tone: 'good' });
    assert.deepEqual(change(0, 40_000, money), { pct: -100, text: '−100.0 %', tone: 'bad' });
    assert.deepEqual(change(12_345, 12_345, money), { pct: 0, text: 'no change', tone: 'flat' }, 'not a red "+0 %"');
    assert.deepEqual(change(0.5, 0.6, { unit: 'ratio', upIsGood: true }), { pct: -10, text: '−10.0 pts', tone: 'bad' });
  });
});

describe('burn and runway, as the glossary defines them', () => {
  test('net and gross burn average the last three complete calendar months, whatever day of the month it is', () => {
    const w = burnWindow('2026-11-25', '2024-01-01')!;
    assert.deepEqual(w, { from: '2026-08-01', to: '2026-10-31', months: 3 });
    const rows = [
      { day: '2026-07-31', kind: 'expense', amount: -1_000_000 }, // before the window
      { day: '2026-08-10', kind: 'sale', amount: 30_000 },
      { day: '2026-09-10', kind: 'expense', amount: -60_000 },
      { day: '2026-10-10', kind: 'transfer', amount: 500_000 }, // an owner's injection is not operating cash
      { day: '2026-10-12', kind: 'payout', amount: 40_000 },
      { day: '2026-10-20', kind: 'fee', amount: -3_000 },
      { day: '2026-11-20', kind: 'expense', amount: -900_000 }, // this month is not complete
    ];
    assert.deepEqual(burn(rows, w), { netBurn: 11_000, grossBurn: 21_000 });
    assert.deepEqual(burn([{ day: '2026-08-10', kind: 'sale', amount: 30_000 }], w), { netBurn: 0, grossBurn: 0 });
    assert.deepEqual(burnWindow('2026-11-25', '2026-09-14'), { from: '2026-10-01', to: '2026-10-31', months: 1 }, 'only months the ledger covers from their first day');
    const young = burnWindow('2026-11-25', '2026-11-10')!;
    assert.equal(young.from, '2026-11-10');
    assert.ok(Math.abs(young.months - 16 / MONTH_DAYS) < 1e-12, 'without a complete month: the days since the first ledger row');
  });

  test('runway is cash ÷ net burn, not burning at 0, and never later than a likely forecast cash-out', () => {
    assert.deepEqual(runway(600_000, 100_000, null), { months: 6, basis: 'net_burn', label: 'Runway' });
    assert.deepEqual(runway(600_000, 0, null), { months: null, basis: 'not_burning', label: 'Runway' });
    assert.deepEqual(runway(600_000, 0, { horizonDays: 730, pBelowZero: 0.49, medianDays: null }), { months: null, basis: 'not_burning', label: 'Runway' });
    const out = { horizonDays: 730, pBelowZero: 0.62, medianDays: 61 };
    assert.deepEqual(runway(600_000, 0, out), { months: 61 / MONTH_DAYS, basis: 'forecast', label: 'Runway (forecast)' });
    assert.deepEqual(runway(600_000, 300_000, out), { months: 2, basis: 'net_burn', label: 'Runway' }, 'the burn runway when it is the sooner');
    assert.equal(runway(600_000, 10_000, out).basis, 'forecast', 'the forecast when it says sooner than 60 months');
  });

  test('the glossary names every figure the issue lists, each once, with a formula', () => {
    const ids = TERMS.map((t) => t.id);
    for (const id of ['gross_sales', 'refunds', 'net_revenue', 'cost_of_goods', 'gross_profit', 'operating_expenses', 'net_profit', 'cash', 'net_burn', 'gross_burn', 'runway'])
      assert.ok(ids.includes(id as never), id);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(new Set(TERMS.map((t) => t.label)).size, TERMS.length, 'one label each');
    for (const t of TERMS) assert.ok(t.formula.length > 10, t.id);
  });
});

/** The presets every report offers, and a custom range, as the dashboard API takes them. */
const RANGES = [...PRESETS.filter((p) => p !== 'custom').map((p) => `preset=${p}`), 'preset=custom&from=2026-02-03&to=2026-04-17'];

describe('figures through the JSON API on both demo businesses', () => {
  let ctx: TestContext;
  let owner: Awaited<ReturnType<typeof signIn>>;
  let businesses: { id: string; name: string }[];
  before(async () => {
    ctx = await createTestApp();
    await seedDemo(ctx.db, ctx.clock, { days: 400 });
    businesses = await ctx.db('businesses').orderBy('name').select('id', 'name');
    owner = await signIn(ctx.app, DEMO_EMAIL, DEMO_PASSWORD);
  });
  after(() => ctx.close());

  const stats = async (id: string, range: string) => (await owner.agent.get(`/api/v1/dashboard/stats?business_id=${id}&${range}`).expect(200)).body;
  const forecast = async (id: string, horizon: number) =>
    (await owner.agent.post('/api/v1/forecast').set('X-CSRF-Token', owner.csrf).send({ business_id: id, horizon_days: horizon }).expect(200)).body;

  test('runway, net burn and their basis are the same for every report range', async () => {
    assert.equal(businesses.length, 2);
    for (const b of businesses) {
      const all = await Promise.all(RANGES.map((r) => stats(b.id, r)));
      const first = all[0];
      assert.equal(first.runway_months.label.startsWith('Runway'), true);
      for (const [i, s] of all.entries()) {
        assert.deepEqual(s.runway_months, first.runway_months, `${b.name} ${RANGES[i]}`);
        assert.deepEqual(s.burn, first.burn, `${b.name} ${RANGES[i]}`);
        assert.equal(s.runway_basis, first.runway_basis);
      }
      assert.deepEqual(first.burn_window, { start_date: '2026-08-01', end_date: '2026-10-31' });
    }
  });

  test('the dashboard, readiness, the metrics API and the chat state the same runway and net burn', async () => {
    for (const b of businesses) {
      const s = await stats(b.id, 'preset=quarter');
      const score = (await readiness.latest(ctx.db, b.id))!;
      assert.equal(score.inputs.runway_months, s.runway_months.value, `${b.name} readiness`);
      const m = (await owner.agent.get(`/api/v1/metrics?business_id=${b.id}`).expect(200)).body;
      assert.deepEqual([m.runway_months, m.burn, m.runway_basis], [s.runway_months.value, s.burn.value, s.runway_basis], `${b.name} metrics`);
      const chat = (await runTool(ctx.db, b.id, 'metric_summary', {}, toolContext(ctx.clock))).data as { runway_months: number | null; monthly_burn: { minor: number }; runway_basis: string };
      assert.equal(chat.runway_months, s.runway_months.value === null ? null : Math.round(s.runway_months.value * 10) / 10, `${b.name} chat`);
      assert.deepEqual([chat.monthly_burn.minor, chat.runway_basis], [s.burn.value, s.runway_basis]);
    }
  });

  test('for the last complete month, the dashboard’s revenue and net profit are the P&L’s net revenue and net profit, under the same labels', async () => {
    for (const b of businesses) {
      const s = await stats(b.id, 'preset=last_month');
      assert.deepEqual([s.start_date, s.end_date], ['2026-10-01', '2026-10-31']);
      assert.deepEqual([s.previous_start_date, s.previous_end_date], ['2026-09-01', '2026-09-30']);
      const p = (await owner.agent.get(`/api/v1/pnl?business_id=${b.id}&start_date=2026-10-01&end_date=2026-10-31`).expect(200)).body;
      assert.ok(p.totals.net_revenue > 0, `${b.name} sold something in October`);
      assert.equal(s.revenue.value, p.totals.net_revenue, b.name);
      assert.equal(s.net_profit.value, p.totals.net, b.name);
      const label = (key: string) => p.lines.find((l: { key: string }) => l.key === key).label;
      assert.equal(s.revenue.label, label('net_revenue'));
      assert.equal(s.net_profit.label, label('net'));
    }
  });

  test('year to date is compared with the same days of last year', async () => {
    const s = await stats(businesses[0].id, 'preset=year_to_date');
    assert.deepEqual([s.start_date, s.end_date, s.previous_start_date, s.previous_end_date], ['2026-01-01', TODAY, '2025-01-01', '2025-11-25']);
  });

  test('the forecast starts from the dashboard’s cash, and a likely cash-out never sits beside a null runway', async () => {
    for (const b of businesses) {
      const s = await stats(b.id, 'preset=last_30_days');
      for (const horizon of [90, 365, 730]) {
        const f = await forecast(b.id, horizon);
        assert.equal(f.start_cash, s.cash.value, `${b.name} ${horizon}`);
        if (f.p_cash_below_zero >= 0.5) assert.notEqual(s.runway_months.value, null, `${b.name} ${horizon}: p ${f.p_cash_below_zero}`);
      }
      // What the dashboard shows beside runway is the forecast over the longest horizon, as the API gives it.
      const longest = await forecast(b.id, 730);
      assert.equal(s.forecast_cash_out.p_cash_below_zero, longest.p_cash_below_zero, b.name);
    }
  });

  test('the definitions page lists every term, and the pages link each figure’s label to it', async () => {
    const id = businesses[0].id;
    const page = await owner.agent.get(`/b/${id}/definitions`).expect(200);
    for (const t of TERMS) assert.match(page.text, new RegExp(`<div class="definition" id="${t.id}">\\s*<dt>${t.label}</dt>`), t.id);
    const links = (html: string) => new Set([...html.matchAll(/\/definitions#([a-z_]+)/g)].map((m) => m[1]));
    const pnl = links((await owner.agent.get(`/b/${id}/pnl`).expect(200)).text);
    for (const t of ['gross_sales', 'refunds', 'net_revenue', 'cost_of_goods', 'gross_profit', 'operating_expenses', 'net_profit']) assert.ok(pnl.has(t), `P&L ${t}`);
    const metricsPage = links((await owner.agent.get(`/b/${id}/metrics`).expect(200)).text);
    for (const t of ['net_revenue', 'cash', 'net_burn', 'gross_burn', 'runway']) assert.ok(metricsPage.has(t), `metrics ${t}`);
    assert.ok(links((await owner.agent.get(`/b/${id}/readiness`).expect(200)).text).has('runway'), 'readiness runway');
    const forecastPage = await owner.agent.get(`/b/${id}/forecast?horizon=90`).expect(200);
    assert.ok(links(forecastPage.text).has('runway') && links(forecastPage.text).has('cash'), 'forecast');
    // The Expenses page's total (loaded by htmx) says which figure it is: expenses, not total costs.
    assert.ok(links((await owner.agent.get(`/b/${id}/expenses/totals`).set('HX-Request', 'true').expect(200)).text).has('expenses'), 'expenses total');
    const dash = links((await owner.agent.get(`/b/${id}`).expect(200)).text);
    for (const t of ['net_revenue', 'total_costs', 'net_profit', 'gross_margin', 'cash', 'net_burn', 'gross_burn', 'runway']) assert.ok(dash.has(t), `dashboard ${t}`);
  });
});

describe('a business burning fast', () => {
  let ctx: TestContext;
  let owner: Awaited<ReturnType<typeof signIn>>;
  let fast: string;
  let turned: string;
  before(async () => {
    ctx = await createTestApp();
    const user = await insertUser(ctx.db);
    owner = await signIn(ctx.app, user.email, user.password);
    // 150 days from 700,000: 5,000 in and 9,000 out every day, so 100,000 left today and 120,000 lost a month.
    fast = (await insertBusiness(ctx.db, user.id, { name: 'Fast Burn' })).id;
    const rows: Parameters<typeof insertLedgerRows>[2] = [{ kind: 'transfer', amount: 700_000, occurred_on: addDays(TODAY, -149), description: 'Opening balance' }];
    for (let i = 0; i < 150; i++) {
      const day = addDays(TODAY, -i);
      rows.push({ kind: 'sale', amount: 5_000, occurred_on: day }, { kind: 'expense', amount: -9_000, occurred_on: day });
    }
    await insertLedgerRows(ctx.db, fast, rows);
    // Profitable through October, then sales stop and costs triple: not burning by the last three complete months.
    turned = (await insertBusiness(ctx.db, user.id, { name: 'Turned' })).id;
    const turn: Parameters<typeof insertLedgerRows>[2] = [{ kind: 'transfer', amount: 100_000, occurred_on: '2026-06-01', description: 'Opening balance' }];
    for (let d = '2026-06-01'; d <= TODAY; d = addDays(d, 1)) {
      if (d < '2026-11-01') turn.push({ kind: 'sale', amount: 10_000, occurred_on: d }, { kind: 'expense', amount: -8_000, occurred_on: d });
      else turn.push({ kind: 'expense', amount: -30_000, occurred_on: d });
    }
    await insertLedgerRows(ctx.db, turned, turn);
  });
  after(() => ctx.close());

  const stats = async (id: string) => (await owner.agent.get(`/api/v1/dashboard/stats?business_id=${id}`).expect(200)).body;
  const forecast = async (id: string, horizon: number) =>
    (await owner.agent.post('/api/v1/forecast').set('X-CSRF-Token', owner.csrf).send({ business_id: id, horizon_days: horizon }).expect(200)).body;

  test('its forecast says cash likely runs out, and its runway is a number no later than the forecast’s median cash-out', async () => {
    const f = await forecast(fast, 365);
    assert.ok(f.p_cash_below_zero >= 0.5, `p ${f.p_cash_below_zero}`);
    const s = await stats(fast);
    assert.equal(s.cash.value, 100_000);
    assert.equal(s.burn.value, 122_667); // 4,000 a day over August to October: 368,000 over three months
    assert.notEqual(s.runway_months.value, null);
    assert.ok(s.runway_months.value <= f.runway_days.p50 / MONTH_DAYS + 1e-9, `runway ${s.runway_months.value} vs median cash-out ${f.runway_days.p50} days`);
    assert.ok(s.forecast_cash_out.median_date, 'the dashboard shows the forecast’s cash-out date beside runway');
    const page = await owner.agent.get(`/b/${fast}`).expect(200);
    assert.match(page.text, /data-forecast-cash-out>Forecast: \d+% chance cash runs out, median/);
  });

  test('a business profitable until last month whose forecast runs out is never "not burning"', async () => {
    const s = await stats(turned);
    assert.equal(s.burn.value, 0, 'August to October were profitable');
    const f = await forecast(turned, 730);
    assert.ok(f.p_cash_below_zero >= 0.5, `p ${f.p_cash_below_zero}`);
    assert.equal(s.runway_basis, 'forecast');
    assert.equal(s.runway_months.label, 'Runway (forecast)');
    assert.ok(Math.abs(s.runway_months.value - f.runway_days.p50 / MONTH_DAYS) < 1e-9);
    const page = await owner.agent.get(`/b/${turned}`).expect(200);
    assert.match(page.text, /Runway \(forecast\)/);
    assert.doesNotMatch(page.text, /Not burning/);
    const m = (await owner.agent.get(`/api/v1/metrics?business_id=${turned}`).expect(200)).body;
    assert.deepEqual([m.runway_months, m.runway_basis], [s.runway_months.value, 'forecast']);
    assert.match((await owner.agent.get(`/b/${turned}/metrics`).expect(200)).text, /Runway \(forecast\)/, 'the metrics page labels it the same way');
  });

  test('a comparison period the ledger covers only in part is no comparison', async () => {
    const ytd = (await owner.agent.get(`/api/v1/dashboard/stats?business_id=${fast}&preset=year_to_date`).expect(200)).body;
    assert.equal(ytd.previous_start_date, '2025-01-01'); // before the first ledger day, 2026-06-29
    assert.deepEqual([ytd.revenue.previous, ytd.revenue.change_pct, ytd.revenue.change], [null, null, '—']);
    assert.equal(ytd.cash.previous, 0, 'cash before the first day is known: none');
    const month = (await owner.agent.get(`/api/v1/dashboard/stats?business_id=${fast}&preset=last_month`).expect(200)).body;
    assert.deepEqual([month.revenue.previous, month.revenue.change_pct, month.revenue.change], [150_000, 3.3, '+3.3 %']); // 31 days of October against 30 of September
    const page = await owner.agent.get(`/b/${fast}?preset=year_to_date`).expect(200);
    assert.match(page.text, /the ledger starts on Jun 29, 2026, so only cash is compared/);
  });

  test('a stranger gets 403 from the definitions page', async () => {
    const stranger = await insertUser(ctx.db);
    await insertBusiness(ctx.db, stranger.id, { name: 'Stranger Co' });
    const s = await signIn(ctx.app, stranger.email, stranger.password);
    assert.equal((await s.agent.get(`/b/${fast}/definitions`)).status, 403);
    assert.equal((await owner.agent.get(`/b/${fast}/definitions`)).status, 200);
  });
});
