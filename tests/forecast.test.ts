import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectRecurring, recurringSchedule, fitFlows, dailyMeans, spreadFor, type LedgerEvent } from '../services/reports/forecast/model.ts';
import { simulate, mulberry32 } from '../services/reports/forecast/simulate.ts';
import { addDays } from '../services/core/clock.ts';

const AS_OF = '2026-11-25';

/** A normal draw from a seeded generator, for building synthetic histories. */
function normals(seed: number) {
  const rnd = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

/**
 * 400 days of a business whose day-to-day flow (rent aside) has a known mean (drift)
 * and standard deviation (volatility), plus rent of 300,000 on the 1st of each month.
 */
function syntheticHistory(drift: number, vol: number, seed = 7) {
  const z = normals(seed);
  const n = 400;
  const first = addDays(AS_OF, -(n - 1));
  const flows = new Float64Array(n);
  const events: LedgerEvent[] = [];
  for (let i = 0; i < n; i++) {
    const day = addDays(first, i);
    flows[i] = drift + vol * z();
    if (day.endsWith('-01')) events.push({ occurred_on: day, counterparty: 'Dockside Properties', kind: 'expense', amount: -300_000 });
    if (i % 3 === 0) events.push({ occurred_on: day, counterparty: `One-off ${i}`, kind: 'expense', amount: -5_000 });
  }
  events.push({ occurred_on: addDays(AS_OF, -200), counterparty: 'Stopped SaaS', kind: 'expense', amount: -900 });
  for (const d of [-300, -270, -240]) events.push({ occurred_on: addDays(AS_OF, d), counterparty: 'Stopped SaaS', kind: 'expense', amount: -900 });
  return { flows, first, events };
}

test('the monthly rent is detected as recurring, one-offs and stopped subscriptions are not', () => {
  const { events } = syntheticHistory(10_000, 40_000);
  const found = detectRecurring(events, AS_OF);
  assert.equal(found.length, 1);
  assert.equal(found[0].counterparty, 'Dockside Properties');
  assert.equal(found[0].cadence, 'monthly');
  assert.equal(found[0].amount, -300_000);
  assert.equal(found[0].dayOfMonth, 1);
  const schedule = recurringSchedule(found, AS_OF, 60);
  // Due on Dec 1 (day index 5 after Nov 25) and Jan 1 (index 36).
  assert.deepEqual(
    [...schedule.keys()].filter((i) => schedule[i] !== 0),
    [5, 36],
  );
  assert.equal(schedule[5], -300_000);
});

test('payroll every two weeks with slightly varying amounts is detected', () => {
  const events: LedgerEvent[] = [];
  for (let i = 0; i < 10; i++) events.push({ occurred_on: addDays(AS_OF, -14 * i - 3), counterparty: 'Gusto', kind: 'expense', amount: -1_000_000 - (i % 3) * 20_000 });
  const [p] = detectRecurring(events, AS_OF);
  assert.equal(p.cadence, 'biweekly');
  assert.equal(p.dayOfMonth, null);
});

test('the forecast recovers drift and volatility: P50 slope and band width within tolerance of the truth', () => {
  const drift = 12_000;
  const vol = 50_000;
  const { flows, first, events } = syntheticHistory(drift, vol);
  const rent = detectRecurring(events, AS_OF);
  const model = fitFlows(flows, first);
  assert.ok(Math.abs(model.sigma - vol) / vol < 0.1, `sigma ${model.sigma}`);
  assert.equal(model.slope, 0, 'no trend where there is none');
  const horizon = 365;
  const schedule = recurringSchedule(rent, AS_OF, horizon);
  const sim = simulate({ startCash: 10_000_000, mean: dailyMeans(model, AS_OF, schedule), sigma: model.sigma, paths: 10_000, seed: 1 });
  // Truth: the cash line falls by rent and rises by drift; 12 rents in the year.
  const truthSlope = drift - (12 * 300_000) / 365;
  const p50Slope = (sim.p50[horizon - 1] - 10_000_000) / horizon;
  // The level is the mean of the last 180 days, known to a standard error of vol / √180 a day.
  assert.ok(Math.abs(p50Slope - truthSlope) < (2 * vol) / Math.sqrt(180), `P50 slope ${p50Slope} vs ${truthSlope}`);
  // Truth: the P10-P90 band of a random walk is 2 × 1.2816 × vol × √days wide.
  const truthWidth = 2 * 1.2816 * vol * Math.sqrt(horizon);
  const width = sim.p90[horizon - 1] - sim.p10[horizon - 1];
  assert.ok(Math.abs(width - truthWidth) / truthWidth < 0.1, `band ${width} vs ${truthWidth}`);
});

test('ample cash gives p(cash<0) near 0; burning fast gives near 1 with a short runway', () => {
  const mean = new Float64Array(180).fill(-10_000);
  const ample = simulate({ startCash: 100_000_000, mean, sigma: 20_000, paths: 10_000, seed: 3 });
  assert.ok(ample.pBelowZero < 0.001);
  assert.deepEqual(ample.runwayDays, { p10: null, p50: null, p90: null });
  const burning = simulate({ startCash: 500_000, mean: new Float64Array(180).fill(-50_000), sigma: 20_000, paths: 10_000, seed: 3 });
  assert.ok(burning.pBelowZero > 0.999);
  assert.ok(burning.runwayDays.p50! >= 9 && burning.runwayDays.p50! <= 11, `runway ${burning.runwayDays.p50}`);
  assert.ok(burning.runwayDays.p10! <= burning.runwayDays.p50! && burning.runwayDays.p50! <= burning.runwayDays.p90!);
});

test('the same inputs give the same figures; another seed differs', () => {
  const mean = new Float64Array(30).fill(100);
  const a = simulate({ startCash: 1000, mean, sigma: 500, paths: 2000, seed: 9 });
  const b = simulate({ startCash: 1000, mean, sigma: 500, paths: 2000, seed: 9 });
  const c = simulate({ startCash: 1000, mean, sigma: 500, paths: 2000, seed: 10 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.p50, c.p50);
});

test('a weekly pattern in the history shows up in the fitted weekday offsets', () => {
  const z = normals(11);
  const first = addDays(AS_OF, -199);
  const flows = new Float64Array(200);
  for (let i = 0; i < 200; i++) {
    const dow = new Date(`${addDays(first, i)}T00:00:00Z`).getUTCDay();
    flows[i] = (dow === 6 ? 40_000 : 10_000) + 2_000 * z();
  }
  const m = fitFlows(flows, first);
  assert.ok(Math.abs(m.weekday[6] - m.weekday[2] - 30_000) < 2_000, `saturday offset ${m.weekday[6] - m.weekday[2]}`);
});

test('payroll on the 15th and the last day of the month is semimonthly, due on those days, not every 14 days', () => {
  const events: LedgerEvent[] = [];
  for (let m = 1; m <= 10; m++) {
    const last = new Date(Date.UTC(2026, m, 0)).getUTCDate();
    const month = String(m).padStart(2, '0');
    events.push(
      { occurred_on: `2026-${month}-15`, counterparty: 'Gusto', kind: 'expense', amount: -1_000_000 },
      { occurred_on: `2026-${month}-${last}`, counterparty: 'Gusto', kind: 'expense', amount: -1_000_000 },
    );
  }
  events.push({ occurred_on: '2026-11-15', counterparty: 'Gusto', kind: 'expense', amount: -1_000_000 });
  const [p] = detectRecurring(events, AS_OF);
  assert.equal(p.cadence, 'semimonthly');
  const schedule = recurringSchedule([p], AS_OF, 40);
  assert.deepEqual(
    [...schedule.keys()].filter((i) => schedule[i] !== 0).map((i) => addDays(AS_OF, i + 1)),
    ['2026-11-30', '2026-12-15', '2026-12-31'],
  );
});

test('a slope too weak to tell from noise is dropped, and the level is the mean of the days it was fitted on', () => {
  const z = normals(5);
  const first = addDays(AS_OF, -199);
  const flows = new Float64Array(200);
  for (let i = 0; i < 200; i++) flows[i] = 20_000 + 60_000 * z();
  const m = fitFlows(flows, first);
  assert.equal(m.slope, 0);
  const mean = flows.slice(20).reduce((s, v) => s + v, 0) / 180;
  assert.ok(Math.abs(m.level - mean) < 1e-6, `level ${m.level} vs the mean ${mean}`);
});

test('the spread is learned from earlier misses: about as fitted on steady noise, much wider where the level keeps moving', () => {
  const z = normals(21);
  const first = addDays(AS_OF, -599);
  const steady = new Float64Array(600);
  const moving = new Float64Array(600);
  let level = 10_000;
  for (let i = 0; i < 600; i++) {
    // Every 45 days the business's level jumps to somewhere new, as a lost or won client would move it.
    if (i % 45 === 0) level = 10_000 + 40_000 * z();
    steady[i] = 10_000 + 40_000 * z();
    moving[i] = level + 40_000 * z();
  }
  const calm = spreadFor(steady, first, fitFlows(steady, first));
  const jumpy = spreadFor(moving, first, fitFlows(moving, first));
  assert.ok(calm.checks >= 20 && jumpy.checks >= 20);
  // The band's standard deviation at h days, as simulated, against the fit's own (noise and a 180-day mean's error).
  const width = (s: typeof calm, sigma: number, h: number) => Math.sqrt(s.sigma ** 2 * h + (s.levelSigma * h) ** 2) / Math.sqrt(sigma ** 2 * h + (sigma ** 2 / 180) * h * h);
  const sigma = fitFlows(steady, first).sigma;
  for (const h of [30, 90]) assert.ok(width(calm, sigma, h) > 0.6 && width(calm, sigma, h) < 1.4, `steady, ${h} days: ${width(calm, sigma, h)} (${JSON.stringify(calm)})`);
  const movingSigma = fitFlows(moving, first).sigma;
  assert.ok(width(jumpy, movingSigma, 90) > 2, `moving, 90 days: ${width(jumpy, movingSigma, 90)} (${JSON.stringify(jumpy)})`);
});

test('with too little history to check itself, the level may wander as far as its 30-day averages did', () => {
  const z = normals(8);
  const first = addDays(AS_OF, -99);
  const flows = new Float64Array(100);
  // Three months at three different levels: no earlier forecast to learn from, but the level clearly moves.
  for (let i = 0; i < 100; i++) flows[i] = [5_000, 30_000, -10_000, 20_000][Math.floor(i / 30)] + 10_000 * z();
  const model = fitFlows(flows, first);
  const s = spreadFor(flows, first, model);
  assert.equal(s.checks, 0);
  const tau = model.sigma / Math.sqrt(model.daysUsed);
  assert.ok(s.levelSigma > 3 * tau, `level spread ${s.levelSigma} vs a mean's standard error ${tau}`);
});
