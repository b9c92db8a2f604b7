/**
 * Expense list benchmark on real PostgreSQL: a business with LEDGER_ROWS ledger rows,
 * 10 concurrent signed-in users loading the first page and a filtered page over HTTP.
 * Prints latency percentiles and throughput as JSON, with a bare Express "hello" on
 * the same machine in the same run as the baseline.
 *   DATABASE_URL=postgres://… tsx scripts/bench/expenses.ts
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createApp } from '../../server.ts';
import { loadConfig } from '../../services/core/config.ts';
import { createLogger } from '../../services/core/logger.ts';
import { systemClock } from '../../services/core/clock.ts';
import { benchBusiness, benchDb, percentile } from './setup.ts';

const LEDGER_ROWS = Number(process.env.LEDGER_ROWS ?? 1_000_000);
const USERS = Number(process.env.USERS ?? 10);
const REQUESTS = Number(process.env.REQUESTS ?? 400);

const db = await benchDb();
const existing = await db('businesses').where({ name: 'Bench Co' }).first('id');
const { businessId, email, password } = existing && process.env.REUSE ? await reuse(existing.id) : await benchBusiness(db, LEDGER_ROWS);

async function reuse(id: string) {
  const { createUser } = await import('../../services/users.ts');
  const email = `bench-reuse-${Date.now()}@example.com`;
  const user = await createUser(db, { email, name: 'Bench', password: 'benchmark password' });
  await db('memberships').insert({ business_id: id, user_id: user.id, role: 'owner' });
  return { businessId: id, email, password: 'benchmark password' };
}

// Production settings (templates compiled once, as deployed); requests say they came through TLS at the proxy.
const config = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), DATABASE_URL: process.env.DATABASE_URL, LOG_LEVEL: 'silent' });
const PROXY = { 'x-forwarded-proto': 'https' };
const app = createApp({ db, config, clock: systemClock, logger: createLogger('silent') });
const server = app.listen(0, '127.0.0.1');
// Longer than the client's idle sockets live, so a reused connection is never closed under a request.
server.keepAliveTimeout = 65_000;
await new Promise((r) => server.once('listening', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

async function signIn(): Promise<string> {
  const page = await fetch(`${base}/login`, { headers: PROXY });
  let cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...PROXY, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email, password }).toString(),
  });
  cookie = (res.headers.get('set-cookie') ?? cookie).split(';')[0];
  return cookie;
}

async function load(url: (i: number) => string, cookie: string | null, origin = base): Promise<{ p50: number; p95: number; p99: number; rps: number }> {
  const times: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: USERS }, async () => {
      while (next < REQUESTS) {
        const i = next++;
        const t = performance.now();
        const get = () => fetch(`${origin}${url(i)}`, { headers: cookie ? { ...PROXY, cookie } : {} });
        const res = await get().catch(get);
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${url(i)} answered ${res.status}`);
        times.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  const r = (n: number) => Math.round(n * 10) / 10;
  return { p50: r(percentile(times, 50)), p95: r(percentile(times, 95)), p99: r(percentile(times, 99)), rps: Math.round(times.length / seconds) };
}

// Baseline: bare Express on this machine, same load generator.
const bare = express();
bare.get('/', (_req, res) => res.send('hello'));
const bareServer = bare.listen(0, '127.0.0.1');
await new Promise((r) => bareServer.once('listening', r));
const bareBase = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}`;
const bareRun = await load(() => '/', null, bareBase);

const cookie = await signIn();
const list = `/b/${businessId}/expenses`;
const probe = await fetch(`${base}${list}`, { headers: { ...PROXY, cookie } });
if (probe.status !== 200) throw new Error(`the list answered ${probe.status}: ${(await probe.text()).slice(0, 300)}`);
await load(() => list, cookie); // warm-up
const firstPage = await load(() => list, cookie);
const filtered = await load((i) => `${list}?q=${encodeURIComponent(`Bench row ${i % 997}`)}&from=2025-01-01&to=2026-06-30`, cookie);
const amountSorted = await load(() => `${list}?sort=amount_desc&min=100`, cookie);
const api = await load(() => `/api/v1/expenses?business_id=${businessId}&limit=50`, cookie);

server.close();
bareServer.close();
await db.destroy();
process.stdout.write(JSON.stringify({ ledger_rows: LEDGER_ROWS, users: USERS, requests: REQUESTS, ms: { first_page: firstPage, filtered_page: filtered, amount_sorted: amountSorted, api_first_page: api }, bare_express_hello: bareRun }, null, 2) + '\n');
