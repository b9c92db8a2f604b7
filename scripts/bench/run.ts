/**
 * `npm run bench`: the report pages on real PostgreSQL with a large ledger, against
 * a bare 50-row Nunjucks page measured in the same run (DESIGN.md, performance budgets).
 * Needs BENCH_DATABASE_URL (a server where it may create and drop a database).
 * BENCH_ROWS (default 1,000,000), BENCH_SECONDS per measurement (default 8).
 * Prints one JSON document. The load generator is a bounded loop of concurrent
 * fetches against 127.0.0.1; servers run as child processes so they do not share
 * an event loop with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import knexFactory from 'knex';
import { migrateLatest } from '../../services/core/db.ts';
import { seedBench } from './seed.ts';
import { simulate } from '../../services/forecast/simulate.ts';
import * as forecast from '../../services/forecast/forecast.ts';
import * as dashboard from '../../services/dashboard.ts';
import * as pnl from '../../services/pnl.ts';
import { resolveRange } from '../../services/periods.ts';

const serverUrl = process.env.BENCH_DATABASE_URL;
if (!serverUrl) {
  process.stderr.write('Set BENCH_DATABASE_URL to a PostgreSQL server where a bench database may be created.\n');
  process.exit(2);
}
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const TODAY = new Date().toISOString().slice(0, 10);

// The app runs as in production (cached templates, no dev logging), which trusts one
// proxy and marks its session cookie Secure: requests say they came through HTTPS.
const PROXY = { 'x-forwarded-proto': 'https' };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** `concurrency` workers fetch the URL in a loop for `seconds`; latencies in ms. */
async function load(url: string, headers: Record<string, string>, concurrency: number, seconds: number) {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const res = await fetch(url, { headers: { ...PROXY, ...headers }, redirect: 'manual' });
      await res.arrayBuffer();
      if (res.status !== 200) errors++;
      latencies.push(performance.now() - t);
    }
  };
  const started = performance.now();
  await Promise.all([...Array(concurrency)].map(worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    requests: latencies.length,
    errors,
    rps: Math.round(latencies.length / elapsed),
    p50_ms: +percentile(latencies, 0.5).toFixed(1),
    p95_ms: +percentile(latencies, 0.95).toFixed(1),
    p99_ms: +percentile(latencies, 0.99).toFixed(1),
  };
}

async function startChild(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if (ready.test(output)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`child exited with ${code}: ${output}`)));
  });
  return { child, output };
}

async function signIn(base: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${base}/login`, { headers: PROXY });
  const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { ...PROXY, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email, password }),
    redirect: 'manual',
  });
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status}`);
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') || cookie;
}

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
    dashboard_stats_30_days: await timeIt(() => dashboard.stats(db, seeded.businessId, resolveRange('last_30_days', TODAY))),
    dashboard_stats_12_months: await timeIt(() => dashboard.stats(db, seeded.businessId, resolveRange('last_12_months', TODAY))),
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

  const appPort = await freePort();
  const app = await startChild(['server.ts'], { DATABASE_URL: url.toString(), PORT: String(appPort), SEED_DEMO: 'never', LOG_LEVEL: 'warn', NODE_ENV: 'production', SESSION_SECRET: randomBytes(24).toString('hex'), DATABASE_POOL_MAX: '10' }, /Bursar is running at (\S+)/);
  children.push(app.child);
  const base = `http://127.0.0.1:${appPort}`;
  const bare = await startChild(['scripts/bench/bare-server.ts'], { PORT: '0' }, /"port":\d+/);
  children.push(bare.child);
  const barePort = JSON.parse(/\{"port":\d+\}/.exec(bare.output)![0]).port;
  const cookie = await signIn(base, seeded.email, seeded.password);
  const auth = { cookie };
  const b = `${base}/b/${seeded.businessId}`;
  const results: Record<string, unknown[]> = {};
  const targets: [string, string, Record<string, string>][] = [
    ['bare_50_row_nunjucks', `http://127.0.0.1:${barePort}/`, {}],
    ['dashboard_page', b, auth],
    ['pnl_page_12_months', `${b}/pnl`, auth],
    ['dashboard_cards_htmx_last_month', `${b}?preset=last_month`, { ...auth, 'HX-Request': 'true' }],
    ['pnl_statement_htmx_this_month', `${b}/pnl?preset=this_month`, { ...auth, 'HX-Request': 'true' }],
    ['api_dashboard_stats', `${base}/api/v1/dashboard/stats?business_id=${seeded.businessId}`, auth],
  ];
  for (const [key, target, headers] of targets) {
    await load(target, headers, 4, 1); // warm-up
    results[key] = [];
    for (const c of key.includes('htmx') || key.startsWith('api') ? [10] : [10, 50]) results[key].push(await load(target, headers, c, SECONDS));
  }
  const bareRps = (results.bare_50_row_nunjucks[0] as { rps: number }).rps;
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
  for (const c of children) {
    c.kill('SIGTERM');
    await once(c, 'exit').catch(() => undefined);
  }
  await db.destroy();
  await admin.raw(`drop database if exists ${name} with (force)`);
  await admin.destroy();
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}
