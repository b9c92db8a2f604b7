/**
 * The report pages on real PostgreSQL (one of the benchmarks `npm run bench` runs) with a large ledger, against
 * a bare 50-row Nunjucks page measured in the same run (DESIGN.md, performance budgets).
 * Needs BENCH_DATABASE_URL (a server where it may create and drop a database).
 * BENCH_ROWS (default 1,000,000), BENCH_SECONDS per measurement (default 8).
 * Prints one JSON document. The load generator is a bounded loop of concurrent
 * fetches against 127.0.0.1; servers run as child processes so they do not share
 * an event loop with it.
 */
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import knexFactory from 'knex';
import { migrateLatest } from '../../services/core/db.ts';
import { seedBench } from './seed.ts';
import { simulate } from '../../services/reports/forecast/simulate.ts';
import * as forecast from '../../services/reports/forecast/forecast.ts';
import * as dashboard from '../../services/reports/dashboard.ts';
import * as pnl from '../../services/reports/pnl.ts';
import { resolveRange } from '../../services/reports/periods.ts';
import { addDays } from '../../services/core/clock.ts';
import { load, percentile, signIn, startApp, startBare, stopChildren } from './http.ts';

const serverUrl = process.env.BENCH_DATABASE_URL;
if (!serverUrl) {
  process.stderr.write('Set BENCH_DATABASE_URL to a PostgreSQL server where a bench database may be created.\n');
  process.exit(2);
}
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const TODAY = new Date().toISOString().slice(0, 10);

const name = `bursar_bench_${randomBytes(4).toString('hex')}`;
const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
await admin.raw(`create database ${name}`);
const url = new URL(serverUrl);
url.pathname = `/${name}`;
const db = knexFactory({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 4 } });
const children: ChildProcess[] = [];
try {
  await migrateLatest(db);
  const seeded = await seedBench(db, ROWS, TODAY);
  const ledgerRows = (await db('transactions').count({ n: '*' }).first())!.n;
  const aggregateRows = (await db('daily_totals').count({ n: '*' }).first())!.n;

  // In-process service timings, for the figures a page is built from.
  const timeIt = async (fn: () => Promise<unknown>, n = 20) => {
    const ts: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await fn();
      ts.push(performance.now() - t);
    }
    ts.sort((a, b) => a - b);
    return { p50_ms: +percentile(ts, 0.5).toFixed(1), p95_ms: +percentile(ts, 0.95).toFixed(1) };
  };
  const services = {
    dashboard_stats_30_days: await timeIt(() =>
      dashboard.stats(db, seeded.businessId, resolveRange('last_30_days', TODAY), { preset: 'last_30_days', today: TODAY, now: new Date(`${TODAY}T12:00:00Z`) }),
    ),
    dashboard_stats_12_months: await timeIt(() =>
      dashboard.stats(db, seeded.businessId, resolveRange('last_12_months', TODAY), { preset: 'last_12_months', today: TODAY, now: new Date(`${TODAY}T12:00:00Z`) }),
    ),
    pnl_12_months: await timeIt(() => pnl.statement(db, seeded.businessId, resolveRange('last_12_months', TODAY))),
    forecast_365_days_10000_paths: await timeIt(() => forecast.forecast(db, seeded.businessId, TODAY, { horizonDays: 365 }), 5),
  };
  const mean = new Float64Array(365).fill(-1000);
  const mc: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    simulate({ startCash: 1e7, mean, sigma: 50_000, paths: 10_000, seed: i });
    mc.push(performance.now() - t);
  }
  mc.sort((a, b) => a - b);

  const app = await startApp(url.toString());
  children.push(app.child);
  const base = app.base;
  const bare = await startBare();
  children.push(bare.child);
  const cookie = await signIn(base, seeded.email, seeded.password);
  const auth = { cookie };
  const b = `${base}/b/${seeded.businessId}`;
  // Each request of `uncached` asks for a period of one to three months not asked before (3,600 of
  // them), so its fragment is computed and rendered afresh: the cost of the first view
  // after a ledger change.
  let fresh = 0;
  const uncachedCards = () => {
    const n = fresh++;
    return `${b}?preset=custom&from=${addDays(TODAY, -30 - (n % 60) - (Math.floor(n / 60) % 60))}&to=${addDays(TODAY, -(Math.floor(n / 60) % 60))}`;
  };
  const targets: [string, string | (() => string), Record<string, string>][] = [
    ['dashboard_page', b, auth],
    ['pnl_page_12_months', `${b}/pnl`, auth],
    ['dashboard_cards_htmx_last_month', `${b}?preset=last_month`, { ...auth, 'HX-Request': 'true' }],
    ['pnl_statement_htmx_this_month', `${b}/pnl?preset=this_month`, { ...auth, 'HX-Request': 'true' }],
    ['dashboard_cards_htmx_uncached', uncachedCards, { ...auth, 'HX-Request': 'true' }],
    ['api_dashboard_stats', `${base}/api/v1/dashboard/stats?business_id=${seeded.businessId}`, auth],
  ];
  // Throughput of a long-running server: each process first serves a few seconds of every
  // target so the JIT has compiled the hot paths. The bare page, the baseline, is measured
  // before and after the others and their mean is the divisor, since this machine's speed
  // drifts over a run.
  const WARM = Number(process.env.BENCH_WARM_SECONDS ?? 3);
  await load(bare.url, {}, 10, WARM);
  for (const [, target, headers] of targets) await load(target, headers, 10, WARM);
  const results: Record<string, unknown[]> = { bare_50_row_nunjucks: [await load(bare.url, {}, 10, SECONDS), await load(bare.url, {}, 50, SECONDS)] };
  for (const [key, target, headers] of targets) {
    results[key] = [];
    for (const c of key.includes('htmx') || key.startsWith('api') ? [10] : [10, 50]) results[key].push(await load(target, headers, c, SECONDS));
  }
  results.bare_50_row_nunjucks_again = [await load(bare.url, {}, 10, SECONDS)];
  const bareRps = ((results.bare_50_row_nunjucks[0] as { rps: number }).rps + (results.bare_50_row_nunjucks_again[0] as { rps: number }).rps) / 2;
  const ratio = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, +((v[0] as { rps: number }).rps / bareRps).toFixed(2)]));
  process.stdout.write(
    `${JSON.stringify(
      {
        ledger_rows: ledgerRows,
        daily_aggregate_rows: aggregateRows,
        seed_insert_ms: seeded.insertMs,
        monte_carlo_10000x365_ms: { p50: +percentile(mc, 0.5).toFixed(1), max: +mc[mc.length - 1].toFixed(1) },
        services,
        http: results,
        throughput_vs_bare_at_10: ratio,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await stopChildren(children);
  await db.destroy();
  await admin.raw(`drop database if exists ${name} with (force)`);
  await admin.destroy();
}
