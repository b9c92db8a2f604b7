// A deploy's reload drops no request: run by .ci/run against the demo data on a real
// PostgreSQL. Starts the `web` app of ecosystem.config.js under pm2 (the one npm installed,
// with a PM2_HOME of its own under /tmp) with 2 instances in cluster mode, signs in as the
// demo user, keeps a steady load of signed-in page requests going, runs `pm2 reload web`
// in the middle of it, and prints what the users saw as JSON: every request must answer
// 200, and both workers must have been replaced.
//
//   DATABASE_URL=… npx tsx tests/drills/pm2-reload.ts
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as wait } from 'node:timers/promises';
import { promisify } from 'node:util';
import { runDrill, signIn, until } from './support.ts';

if (!process.env.DATABASE_URL) throw new Error('set DATABASE_URL');
const PORT = Number(process.env.DRILL_PORT ?? 3919);
const BASE = `http://127.0.0.1:${PORT}`;
const CONCURRENCY = Number(process.env.DRILL_CONCURRENCY ?? 6);
const INSTANCES = 2;
const PM2 = path.resolve('node_modules/.bin/pm2');
const home = mkdtempSync(path.join(os.tmpdir(), 'bursar-pm2-'));

// Production settings, as a deploy runs them: secrets of this run's own, and a TLS proxy in
// front (the session cookie is Secure), which the requests below stand in for.
const env = {
  ...process.env,
  PM2_HOME: home,
  NODE_ENV: 'production',
  PORT: String(PORT),
  WEB_INSTANCES: String(INSTANCES),
  LOG_DIR: path.join(home, 'logs'),
  LOG_LEVEL: 'warn',
  TRUST_PROXY: 'loopback',
  SESSION_SECRET: randomBytes(32).toString('hex'),
  JWT_SECRET: randomBytes(32).toString('hex'),
};
const proxy = { 'x-forwarded-proto': 'https' };

const run = promisify(execFile);
const pm2 = (...args: string[]) => run(PM2, args, { env, maxBuffer: 16 * 1024 * 1024 });

/** The web workers pm2 runs: pid and status of each. */
async function workers(): Promise<{ pid: number; status: string }[]> {
  const list = JSON.parse((await pm2('jlist')).stdout) as { name: string; pid: number; pm2_env: { status: string } }[];
  return list.filter((p) => p.name === 'web').map((p) => ({ pid: p.pid, status: p.pm2_env.status }));
}

type Hit = { began: number; ms: number; status: number; error?: string };

const percentile = (sorted: number[], p: number) => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]) : 0);
const latencies = (hits: Hit[]) => {
  const ms = hits.map((h) => h.ms).sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), p99: percentile(ms, 99), max: Math.round(ms.at(-1) ?? 0) };
};

const stop = async () => {
  await pm2('kill').catch(() => undefined);
  rmSync(home, { recursive: true, force: true });
};

await runDrill({ stop }, async (check) => {
  await pm2('start', 'ecosystem.config.js', '--only', 'web');
  await until('Bursar listening under pm2', 120_000, async () => (await fetch(`${BASE}/health`)).ok);
  const before = await workers();
  check(before.length === INSTANCES && before.every((w) => w.status === 'online'), `pm2 runs ${INSTANCES} web workers in cluster mode (${before.map((w) => w.pid).join(', ')})`);

  const cookie = await signIn(BASE, proxy);
  const headers = { ...proxy, cookie };
  const list = await fetch(`${BASE}/businesses`, { headers });
  const businessId = /\/b\/([0-9a-f-]{36})/.exec(await list.text())?.[1];
  check(list.status === 200 && Boolean(businessId), 'signed in: the business list names a business');
  // Pages a signed-in user moves between: the business list, a dashboard, the expenses.
  const pages = ['/businesses', `/b/${businessId}`, `/b/${businessId}/expenses`];

  const hits: Hit[] = [];
  let running = true;
  let n = 0;
  const user = async () => {
    while (running) {
      const page = pages[n++ % pages.length];
      const began = performance.now();
      try {
        const res = await fetch(`${BASE}${page}`, { headers, redirect: 'manual', signal: AbortSignal.timeout(20_000) });
        await res.arrayBuffer();
        hits.push({ began, ms: performance.now() - began, status: res.status });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code;
        hits.push({ began, ms: performance.now() - began, status: 0, error: cause ?? (err as Error).message });
      }
    }
  };
  const users = Array.from({ length: CONCURRENCY }, user);
  // Load before, during and after the reload: a reload replaces the workers one at a time.
  await wait(3000);
  const reloadStarted = performance.now();
  await pm2('reload', 'web');
  const reloadEnded = performance.now();
  await wait(3000);
  running = false;
  await Promise.all(users);

  const after = await workers();
  const failed = hits.filter((h) => h.status !== 200);
  const during = hits.filter((h) => h.began >= reloadStarted && h.began <= reloadEnded);
  const errors: Record<string, number> = {};
  for (const h of failed) errors[h.error ?? String(h.status)] = (errors[h.error ?? String(h.status)] ?? 0) + 1;
  const report = {
    drill: 'pm2-reload',
    instances: INSTANCES,
    concurrency: CONCURRENCY,
    reload_ms: Math.round(reloadEnded - reloadStarted),
    requests: hits.length,
    failed: failed.length,
    errors,
    latency_ms: latencies(hits),
    during_reload: { requests: during.length, failed: during.filter((h) => h.status !== 200).length, latency_ms: latencies(during) },
    workers_before: before.map((w) => w.pid),
    workers_after: after.map((w) => w.pid),
  };
  console.log(JSON.stringify(report));
  check(during.length > 0, `requests were answered while the workers were replaced (${during.length})`);
  check(failed.length === 0, `no request failed (${hits.length} requests, ${failed.length} failed)`);
  check(after.length === INSTANCES && after.every((w) => w.status === 'online' && !before.some((b) => b.pid === w.pid)), 'both web workers were replaced by new ones, online');
});
