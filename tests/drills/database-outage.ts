// The database goes away under load and comes back: run by .ci/run against a real
// PostgreSQL it controls. Starts Bursar on DATABASE_URL (demo data present), signs in as
// the demo user, keeps 20 requests in flight, runs DB_STOP_COMMAND, waits, runs
// DB_START_COMMAND, and checks what a user would see: 503 (never a 500 or a dropped
// connection) while the database is away, 200 again within 5 s of its return, and the
// same web process still serving afterwards.
//
//   DATABASE_URL=… DB_STOP_COMMAND='…' DB_START_COMMAND='…' npx tsx tests/drills/database-outage.ts
import { execSync } from 'node:child_process';
import { setTimeout as wait } from 'node:timers/promises';
import { runDrill, signIn, startBursar, until } from './support.ts';

const CONCURRENCY = 20;
const { DB_STOP_COMMAND, DB_START_COMMAND } = process.env;
if (!process.env.DATABASE_URL || !DB_STOP_COMMAND || !DB_START_COMMAND) throw new Error('set DATABASE_URL, DB_STOP_COMMAND and DB_START_COMMAND');
const { app, base: BASE, running: serving } = startBursar(Number(process.env.DRILL_PORT ?? 3917));

type Hit = { began: number; at: number; status: number };

await runDrill(app, async (check) => {
  await until('Bursar listening', 120_000, async () => (await fetch(`${BASE}/health`)).ok);
  const cookie = await signIn(BASE);
  const page = await fetch(`${BASE}/businesses`, { headers: { cookie } });
  check(page.status === 200 && /Sign out|sign out/i.test(await page.text()), 'signed in before the outage');

  const hits: Hit[] = [];
  let running = true;
  const worker = async () => {
    while (running) {
      const began = Date.now();
      try {
        const res = await fetch(`${BASE}/businesses`, { headers: { cookie }, signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        hits.push({ began, at: Date.now(), status: res.status });
      } catch {
        hits.push({ began, at: Date.now(), status: 0 });
        await wait(50);
      }
    }
  };
  const workers = Array.from({ length: CONCURRENCY }, worker);
  await wait(1500);
  execSync(DB_STOP_COMMAND, { stdio: 'inherit' });
  const stoppedAt = Date.now();
  await wait(3000);
  const restartAt = Date.now();
  execSync(DB_START_COMMAND, { stdio: 'inherit' });
  const backAt = Date.now();
  await wait(6000);
  running = false;
  await Promise.all(workers);

  // Asked for after the database had stopped, and answered before it was started again.
  const during = hits.filter((h) => h.began >= stoppedAt && h.at < restartAt);
  const after = hits.filter((h) => h.at > backAt);
  const firstOk = after.find((h) => h.status === 200);
  const count = (list: Hit[]) => {
    const by = new Map<number, number>();
    for (const h of list) by.set(h.status, (by.get(h.status) ?? 0) + 1);
    return [...by].map(([status, n]) => `${status || 'no answer'}: ${n}`).join(', ') || 'none';
  };
  console.log(`requests: ${hits.length}; while the database was away: ${count(during)}; after it returned: ${count(after)}`);
  check(during.length > 0 && during.every((h) => h.status === 503), 'every request while the database was away answered 503');
  check(
    hits.every((h) => h.status === 200 || h.status === 503),
    'no request failed otherwise (no 500, no dropped connection)',
  );
  check(Boolean(firstOk) && firstOk!.at - backAt <= 5000, `200 again ${firstOk ? firstOk.at - backAt : '∞'} ms after the database returned (≤ 5000)`);
  check(
    after.slice(-CONCURRENCY).every((h) => h.status === 200),
    'the last requests all answered 200',
  );
  const health = await fetch(`${BASE}/health`);
  check(serving() && health.status === 200, 'the same web process is still serving, /health 200');
});
