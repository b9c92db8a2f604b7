/**
 * `npm run bench`: every benchmark in scripts/bench/ against the PostgreSQL server named by
 * BENCH_DATABASE_URL (a user who may create and drop databases), each in its own process and
 * its own throwaway database, then one JSON report and a table: each figure beside its
 * DESIGN.md budget, and the same run's baselines (bare Express "hello", the bare 50-row
 * Nunjucks page, a plain COPY) with the figures that compare to them as ratios.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench
 *   BENCH_SIZE=small …   20,000 rows and 1 s per measurement: proves the run, measures nothing
 *   BENCH_ONLY=reports,expenses …   some of the benchmarks
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import knexFactory from 'knex';
import { load, startBare, stopChildren } from './http.ts';

const serverUrl = process.env.BENCH_DATABASE_URL;
if (!serverUrl) {
  process.stderr.write('Set BENCH_DATABASE_URL to a PostgreSQL server where the benchmarks may create and drop databases.\n');
  process.exit(2);
}
const small = process.env.BENCH_SIZE === 'small';
const ROWS = String(process.env.BENCH_ROWS ?? (small ? 20_000 : 1_000_000));
const SECONDS = String(process.env.BENCH_SECONDS ?? (small ? 1 : 8));
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());

type Bench = { name: string; file: string; env: (databaseUrl: string) => Record<string, string>; ownDatabase: boolean };
const BENCHES: Bench[] = [
  { name: 'reports', file: 'scripts/bench/reports.ts', ownDatabase: false, env: () => ({ BENCH_ROWS: ROWS, BENCH_SECONDS: SECONDS, BENCH_WARM_SECONDS: small ? '1' : '3' }) },
  { name: 'expenses', file: 'scripts/bench/expenses.ts', ownDatabase: true, env: (url) => ({ DATABASE_URL: url, LEDGER_ROWS: ROWS, BENCH_SECONDS: SECONDS }) },
  { name: 'import', file: 'scripts/bench/import.ts', ownDatabase: true, env: (url) => ({ DATABASE_URL: url, LEDGER_ROWS: ROWS, IMPORT_ROWS: small ? '20000' : '100000', RULES: '1' }) },
  { name: 'webhooks', file: 'scripts/bench/webhooks.ts', ownDatabase: true, env: (url) => ({ DATABASE_URL: url, EVENTS: small ? '500' : '5000' }) },
  { name: 'agent', file: 'scripts/bench/agent.ts', ownDatabase: false, env: () => ({}) },
  { name: 'startup', file: 'scripts/bench/startup.ts', ownDatabase: false, env: () => ({}) },
];

const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
const databaseUrl = (name: string) => {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

/** One benchmark in its own process; its JSON, or why there is none. */
async function runBench(bench: Bench): Promise<{ ms: number; result?: Record<string, unknown>; error?: string }> {
  const started = performance.now();
  const name = `bursar_bench_${bench.name}_${randomBytes(3).toString('hex')}`;
  if (bench.ownDatabase) await admin.raw(`create database ${name}`);
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', bench.file], {
      env: { ...process.env, BENCH_DATABASE_URL: serverUrl, ...bench.env(databaseUrl(name)) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    const ms = Math.round(performance.now() - started);
    const json = out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1);
    if (code !== 0 || !json) {
      const said = (err || out).trim().split('\n');
      return { ms, error: `exit ${code}: ${said.find((l) => /error/i.test(l)) ?? said.at(-1)}` };
    }
    return { ms, result: JSON.parse(json) };
  } finally {
    if (bench.ownDatabase) await admin.raw(`drop database if exists ${name} with (force)`);
  }
}

// The baselines of this run, on this machine, now.
const bare = await startBare();
let baselines: { hello_rps: number; bare_page_rps: number; copy_rows_per_s?: number };
try {
  await load(`${bare.url}hello`, {}, 10, 1);
  const hello = await load(`${bare.url}hello`, {}, 10, Number(SECONDS));
  const page = await load(bare.url, {}, 10, Number(SECONDS));
  baselines = { hello_rps: hello.rps, bare_page_rps: page.rps };
} finally {
  await stopChildren([bare.child]);
}

const runs: Record<string, Awaited<ReturnType<typeof runBench>>> = {};
for (const bench of BENCHES) {
  if ((only && !only.includes(bench.name)) || !existsSync(bench.file)) continue;
  process.stderr.write(`bench: ${bench.name}…\n`);
  runs[bench.name] = await runBench(bench);
}
await admin.destroy();

// Each figure beside its budget (DESIGN.md, "Performance budgets").
type Figure = { figure: string; value: number | null; unit: string; budget: string; ok: boolean | null; vs_baseline?: string };
const figures: Figure[] = [];
const get = (bench: string, path: string): number | null => {
  let at: unknown = runs[bench]?.result;
  for (const key of path.split('.')) at = Array.isArray(at) ? at[Number(key)] : (at as Record<string, unknown> | undefined)?.[key];
  return typeof at === 'number' ? at : null;
};
const atMost = (figure: string, value: number | null, limit: number, unit = 'ms', vs?: string) =>
  figures.push({ figure, value, unit, budget: `≤ ${limit} ${unit}`, ok: value === null ? null : value <= limit, vs_baseline: vs });
const atLeast = (figure: string, value: number | null, limit: number, unit: string, vs?: string) =>
  figures.push({ figure, value, unit, budget: `≥ ${limit} ${unit}`, ok: value === null ? null : value >= limit, vs_baseline: vs });
const ratio = (rps: number | null, base: number | null) => (rps === null || !base ? undefined : `${(rps / base).toFixed(2)}× bare page`);

const reportsBare = get('reports', 'http.bare_50_row_nunjucks.0.rps');
for (const [key, label] of [
  ['dashboard_page', 'dashboard page'],
  ['pnl_page_12_months', 'P&L page, 12 months'],
] as const) {
  atMost(`${label} p95 at 10 users`, get('reports', `http.${key}.0.p95_ms`), 100, 'ms', ratio(get('reports', `http.${key}.0.rps`), reportsBare));
  atMost(`${label} p95 at 50 users`, get('reports', `http.${key}.1.p95_ms`), 250);
  atLeast(`${label} throughput vs bare page`, get('reports', `throughput_vs_bare_at_10.${key}`), 0.3, '×');
}
for (const [key, label] of [
  ['dashboard_cards_htmx_last_month', 'dashboard cards fragment'],
  ['dashboard_cards_htmx_uncached', 'dashboard cards fragment, period not cached'],
  ['pnl_statement_htmx_this_month', 'P&L statement fragment'],
] as const) {
  atMost(`${label} p95 at 10 users`, get('reports', `http.${key}.0.p95_ms`), 50, 'ms', ratio(get('reports', `http.${key}.0.rps`), reportsBare));
}
const expensesBare = get('expenses', 'http.bare_50_row_nunjucks.rps');
for (const [key, label, limit] of [
  ['first_page', 'expense list, first page', 100],
  ['filtered_page', 'expense list, text-filtered page', 100],
  ['amount_sorted', 'expense list, sorted by amount', 100],
  ['totals_fragment_text', 'expense totals fragment, text filter', 50],
  ['totals_fragment_unfiltered', 'expense totals fragment', 50],
] as const) {
  atMost(`${label} p95 at 10 users`, get('expenses', `http.${key}.p95_ms`), limit, 'ms', ratio(get('expenses', `http.${key}.rps`), expensesBare));
}
const first = get('expenses', 'http.first_page.rps');
atLeast('expense list throughput vs bare page', first !== null && expensesBare ? +(first / expensesBare).toFixed(2) : null, 0.3, '×');
baselines.copy_rows_per_s = get('import', 'copy_rows_per_s') ?? undefined;
atLeast('CSV import vs plain COPY', get('import', 'import_vs_copy'), 0.5, '×', baselines.copy_rows_per_s ? `COPY ${baselines.copy_rows_per_s} rows/s` : undefined);
atMost('100 rules over the imported rows', get('import', 'rules_ms'), 1000);
atMost('Monte Carlo 10,000 paths × 365 days (p50)', get('reports', 'monte_carlo_10000x365_ms.p50'), 150);
atMost('offline analyst reply (worst p95)', get('agent', 'worst_reply_p95_ms'), 200);
atMost('agent tool call (worst p95)', get('agent', 'worst_tool_p95_ms'), 50);
atMost('npm start to healthy on PGlite, second start', get('startup', 'second_start_ms'), 5000);
// Budgets no benchmark here measures yet: named, so the gap is visible.
atLeast('Stripe webhook ingestion, signed events accepted', get('webhooks', 'accepted.per_second'), 1000, 'events/s');
const once = runs.webhooks?.result?.exactly_once;
figures.push({
  figure: 'Stripe webhook: one ledger effect per event',
  value: once === undefined ? null : once ? 1 : 0,
  unit: '',
  budget: 'exactly once',
  ok: once === undefined ? null : once === true,
});
figures.push({ figure: 'web process RSS under load', value: null, unit: 'MB', budget: '≤ 250 MB', ok: null });
figures.push({ figure: 'pages under pm2, 2 web instances (cluster) beside one process', value: null, unit: 'req/s', budget: 'not budgeted', ok: null });

const report = {
  bench: 'all',
  size: { rows: Number(ROWS), seconds_each: Number(SECONDS), small },
  machine: { cpus: os.cpus().length, load_average: os.loadavg().map((l) => +l.toFixed(2)) },
  baselines,
  figures,
  runs,
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n\n`);

const rows = [
  ['figure', 'value', 'budget', 'vs baseline', ''],
  ...figures.map((f) => [f.figure, f.value === null ? '—' : `${f.value} ${f.unit}`, f.budget, f.vs_baseline ?? '', f.ok === null ? 'not measured' : f.ok ? 'met' : 'GAP']),
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
process.stdout.write(
  `${[
    `baselines: bare Express "hello" ${baselines.hello_rps} req/s, bare 50-row page ${baselines.bare_page_rps} req/s, plain COPY ${baselines.copy_rows_per_s ?? '—'} rows/s`,
    line(rows[0]),
    ...rows.slice(1).map(line),
    ...Object.entries(runs)
      .filter(([, r]) => r.error)
      .map(([name, r]) => `${name} failed: ${r.error}`),
  ].join('\n')}\n`,
);
if (Object.values(runs).some((r) => r.error)) process.exitCode = 1;
