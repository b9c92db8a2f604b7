import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, insertUser, insertBusiness, insertLedgerRows, addMember, signIn, TODAY, type TestContext } from './helpers.ts';
import { scenarioFlow, projectPnl, type ScenarioInput } from '../services/reports/forecast/scenario.ts';
import { addDays } from '../services/core/clock.ts';
import * as scenarios from '../services/reports/scenarios.ts';

const NONE: ScenarioInput = { revenue_growth: 0, ad_spend_change: 0, price_change: 0, hire_monthly_cost: 0, hire_from: null, loan_amount: 0, loan_on: null, loan_monthly_repayment: 0, loan_months: 0 };
const DRIVERS = { revenuePerDay: 10_000, variableCostRatio: 0.4, adSpendPerDay: 1_000, roas: 3, fixedCostsPerDay: 2_000 };

test('an empty scenario changes nothing', () => {
  assert.ok(scenarioFlow(DRIVERS, NONE, TODAY, 60).every((v) => Math.abs(v) < 1e-9));
  assert.deepEqual(projectPnl(DRIVERS, NONE, TODAY, 365), projectPnl(DRIVERS, null, TODAY, 365));
});

test('each lever moves daily cash by the amount its definition says', () => {
  // +10 % prices: 1,000 more a day, costs unchanged.
  assert.ok(Math.abs(scenarioFlow(DRIVERS, { ...NONE, price_change: 0.1 }, TODAY, 1)[0] - 1_000) < 1e-9);
  // +50 % ads: 500 more spend bringing 1,500 revenue, of which 40 % is variable cost: +400 a day.
  assert.ok(Math.abs(scenarioFlow(DRIVERS, { ...NONE, ad_spend_change: 0.5 }, TODAY, 1)[0] - 400) < 1e-9);
  // Growth of 100 % a year: after a year, volume doubles and so does the contribution (6,000 a day more).
  const g = scenarioFlow(DRIVERS, { ...NONE, revenue_growth: 1 }, TODAY, 365);
  assert.ok(Math.abs(g[364] - 6_000) < 1e-6);
  // A hire from Dec 1 at 30,437.50 a month: 1,000 a day from that day, nothing before.
  const hire = scenarioFlow(DRIVERS, { ...NONE, hire_monthly_cost: 30_437.5, hire_from: '2026-12-01' }, TODAY, 10);
  assert.deepEqual(
    Array.from(hire, (v) => Math.round(v)),
    [0, 0, 0, 0, 0, -1000, -1000, -1000, -1000, -1000],
  );
  // A loan of 100,000 on Dec 1, three repayments of 35,000 on Jan 1, Feb 1 and Mar 1.
  const loan = scenarioFlow(DRIVERS, { ...NONE, loan_amount: 100_000, loan_on: '2026-12-01', loan_monthly_repayment: 35_000, loan_months: 3 }, TODAY, 200);
  const moves = [...loan.keys()].filter((i) => loan[i] !== 0).map((i) => [addDays(TODAY, i + 1), loan[i]]);
  assert.deepEqual(moves, [
    ['2026-12-01', 100_000],
    ['2027-01-01', -35_000],
    ['2027-02-01', -35_000],
    ['2027-03-01', -35_000],
  ]);
});

let ctx: TestContext;
let bizId: string;
let owner: Awaited<ReturnType<typeof signIn>>;
before(async () => {
  ctx = await createTestApp();
  const user = await insertUser(ctx.db);
  bizId = (await insertBusiness(ctx.db, user.id)).id;
  const rows: Parameters<typeof insertLedgerRows>[2] = [{ kind: 'transfer', amount: 500_000, occurred_on: addDays(TODAY, -99) }];
  for (let i = 0; i < 100; i++) rows.push({ kind: 'sale', amount: 10_000, occurred_on: addDays(TODAY, -i) }, { kind: 'expense', amount: -8_000, occurred_on: addDays(TODAY, -i) });
  await insertLedgerRows(ctx.db, bizId, rows);
  owner = await signIn(ctx.app, user.email, user.password);
});
after(() => ctx.close());

test('a saved scenario with a costly hire shows a lower net profit and cash than the baseline, side by side', async () => {
  const bad = await owner.agent.post(`/b/${bizId}/scenarios`).type('form').send({ _csrf: owner.csrf, name: '', hire_monthly_cost: '1000' });
  assert.equal(bad.status, 422);
  assert.match(bad.text, /Give the scenario a name/);
  assert.match(bad.text, /Say from when the hire is paid/);
  const res = await owner.agent.post(`/b/${bizId}/scenarios`).type('form').send({ _csrf: owner.csrf, name: 'Hire a designer', hire_monthly_cost: '3,043.75', hire_from: '2026-12-01' });
  assert.equal(res.status, 303);
  const page = await owner.agent.get(res.headers.location);
  assert.equal(page.status, 200);
  assert.match(page.text, /Hire a designer/);
  assert.match(page.text, /id="scenario-comparison"/);
  // 2,000 a day of profit (10,000 in, 8,000 out) over 365 days; the hire costs $100 a day from Dec 1 (360 days).
  assert.ok(page.text.includes('$7,300.00'), 'baseline net profit');
  assert.ok(page.text.includes('-$36,000.00'), 'the hire over the year');
  assert.ok(page.text.includes('-$28,700.00'), 'scenario net profit');
  const list = await owner.agent.get(`/b/${bizId}/scenarios`);
  assert.match(list.text, /Hire a designer/);
});

test('a viewer sees scenarios but cannot save one', async () => {
  const viewer = await insertUser(ctx.db);
  await addMember(ctx.db, bizId, viewer.id, 'viewer');
  const v = await signIn(ctx.app, viewer.email, viewer.password);
  const list = await v.agent.get(`/b/${bizId}/scenarios`);
  assert.equal(list.status, 200);
  assert.doesNotMatch(list.text, /id="scenario-form"/);
  const res = await v.agent.post(`/b/${bizId}/scenarios`).type('form').send({ _csrf: v.csrf, name: 'Nope' });
  assert.equal(res.status, 403);
});

test('an owner deletes a scenario; a viewer and another business cannot', async () => {
  const made = await owner.agent.post(`/b/${bizId}/scenarios`).type('form').send({ _csrf: owner.csrf, name: 'Short-lived', price_change: '5' });
  const id = made.headers.location.split('/').pop();
  const viewer = await insertUser(ctx.db);
  await addMember(ctx.db, bizId, viewer.id, 'viewer');
  const v = await signIn(ctx.app, viewer.email, viewer.password);
  assert.doesNotMatch((await v.agent.get(`/b/${bizId}/scenarios/${id}`)).text, /Delete this scenario/);
  assert.equal((await v.agent.post(`/b/${bizId}/scenarios/${id}/deletion`).type('form').send({ _csrf: v.csrf })).status, 403);
  // Another business's owner, through their own business's address: no such scenario there.
  const other = await insertUser(ctx.db);
  const otherBiz = (await insertBusiness(ctx.db, other.id)).id;
  const o = await signIn(ctx.app, other.email, other.password);
  assert.equal((await o.agent.post(`/b/${otherBiz}/scenarios/${id}/deletion`).type('form').send({ _csrf: o.csrf })).status, 404);
  assert.equal((await o.agent.post(`/b/${bizId}/scenarios/${id}/deletion`).type('form').send({ _csrf: o.csrf })).status, 403);
  assert.ok(await ctx.db('forecast_scenarios').where({ id }).first(), 'still there after the refusals');
  const page = await owner.agent.get(`/b/${bizId}/scenarios/${id}`);
  assert.match(page.text, /Delete this scenario/);
  const del = await owner.agent.post(`/b/${bizId}/scenarios/${id}/deletion`).type('form').send({ _csrf: owner.csrf });
  assert.equal(del.status, 303);
  const list = await owner.agent.get(del.headers.location);
  assert.match(list.text, /Deleted the scenario “Short-lived”/);
  assert.equal(await ctx.db('forecast_scenarios').where({ id }).first(), undefined);
  assert.equal((await owner.agent.get(`/b/${bizId}/scenarios/${id}`)).status, 404);
});

test("POST /api/v1/forecast with a saved scenario runs the forecast with it; another business's scenario is a 404", async () => {
  const made = await owner.agent.post(`/b/${bizId}/scenarios`).type('form').send({ _csrf: owner.csrf, name: 'Big hire', hire_monthly_cost: '30,437.50', hire_from: '2026-12-01' });
  const id = made.headers.location.split('/').pop();
  const post = (body: Record<string, unknown>) =>
    owner.agent
      .post('/api/v1/forecast')
      .set('X-CSRF-Token', owner.csrf)
      .send({ business_id: bizId, horizon_days: 120, paths: 2000, ...body });
  const baseline = await post({});
  const withHire = await post({ scenario: id });
  assert.equal(withHire.status, 200);
  assert.deepEqual(withHire.body.scenario, { id, name: 'Big hire' });
  assert.equal(baseline.body.scenario, null);
  // $1,000 a day more going out from Dec 1: by the last day the median is about $114,000 lower.
  const last = (r: typeof baseline) => r.body.percentiles.at(-1).p50;
  const gap = last(baseline) - last(withHire);
  assert.ok(Math.abs(gap - 114 * 100_000) < 5 * 100_000, `the hire's cost shows in the median (gap ${gap})`);
  const bad = await post({ scenario: 'not-an-id' });
  assert.equal(bad.status, 422);
  assert.ok(bad.body.error.details.scenario);
  const other = await insertUser(ctx.db);
  const otherBiz = (await insertBusiness(ctx.db, other.id)).id;
  const o = await signIn(ctx.app, other.email, other.password);
  const theirs = await o.agent.post('/api/v1/forecast').set('X-CSRF-Token', o.csrf).send({ business_id: otherBiz, scenario: id });
  assert.equal(theirs.status, 404);
});

test("the baseline P&L nets to the forecast's median cash gain: one model, not the last 90 days run on for a year", async () => {
  const user = await insertUser(ctx.db);
  const biz = (await insertBusiness(ctx.db, user.id)).id;
  // $20 a day of profit for 400 days, and one $50,000 order a month ago: the last 90 days are no year's average.
  const rows: Parameters<typeof insertLedgerRows>[2] = [
    { kind: 'transfer', amount: 1_000_000, occurred_on: addDays(TODAY, -399) },
    { kind: 'sale', amount: 5_000_000, occurred_on: addDays(TODAY, -30) },
  ];
  for (let i = 0; i < 400; i++) rows.push({ kind: 'sale', amount: 10_000, occurred_on: addDays(TODAY, -i) }, { kind: 'expense', amount: -8_000, occurred_on: addDays(TODAY, -i), counterparty: null });
  await insertLedgerRows(ctx.db, biz, rows);
  const [made] = await ctx
    .db('forecast_scenarios')
    .insert({ business_id: biz, created_by: user.id, name: 'Nothing changes', ...NONE })
    .returning('id');
  const c = await scenarios.compare(ctx.db, biz, made.id, TODAY);
  const last = c.baseline!.days.length - 1;
  const medianGain = c.baseline!.p50[last] - c.baseline!.startCash;
  const measured = projectPnl(await scenarios.drivers(ctx.db, biz, TODAY), null, TODAY, 365).net;
  assert.ok(Math.abs(c.pnl.baseline.net - medianGain) < 0.05 * Math.abs(medianGain), `P&L net ${c.pnl.baseline.net} vs median cash gain ${medianGain}`);
  assert.ok(Math.abs(measured - medianGain) > 0.2 * Math.abs(medianGain), `the last 90 days alone (${measured}) would have told another story than ${medianGain}`);
  // Nothing changes: the scenario's P&L and cash are the baseline's.
  assert.equal(c.pnl.scenario.net, c.pnl.baseline.net);
});
