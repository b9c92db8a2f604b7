// One user's largest forecast must not hold up everyone else: run by .ci/run, alone on the
// machine, against the demo data on a real PostgreSQL. Starts Bursar on DATABASE_URL, signs
// in to the JSON API as the demo user, asks for a 20,000-path, 730-day forecast and, while
// it computes, asks /health again and again: every answer must come within 200 ms.
//
//   DATABASE_URL=… npx tsx tests/drills/forecast-fairness.ts
import { runDrill, startBursar, until } from './support.ts';

if (!process.env.DATABASE_URL) throw new Error('set DATABASE_URL');
const { app, base: BASE } = startBursar(Number(process.env.DRILL_PORT ?? 3918));
const json = (res: Response) => res.json() as Promise<Record<string, unknown>>;

await runDrill(app, async (check) => {
  await until('Bursar listening', 120_000, async () => (await fetch(`${BASE}/health`)).ok);
  const login = await json(
    await fetch(`${BASE}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'demo@bursar.local', password: 'bursar-demo' }) }),
  );
  const auth = { authorization: `Bearer ${login.token}`, 'content-type': 'application/json' };
  const me = await json(await fetch(`${BASE}/api/v1/users/me`, { headers: auth }));
  const businessId = (me.businesses as { id: string }[])[0].id;
  const ask = (paths: number, horizon_days: number) => fetch(`${BASE}/api/v1/forecast`, { method: 'POST', headers: auth, body: JSON.stringify({ business_id: businessId, paths, horizon_days }) });
  // Warm: the first forecast starts the worker process, the first /health reads the migrations.
  check((await ask(1000, 30)).ok && (await fetch(`${BASE}/health`)).ok, 'a small forecast and /health answer');

  let done = false;
  const started = performance.now();
  const big = ask(20_000, 730).then(async (res) => {
    done = true;
    return { status: res.status, body: await json(res), ms: performance.now() - started };
  });
  const latencies: number[] = [];
  while (!done) {
    const t = performance.now();
    const res = await fetch(`${BASE}/health`);
    await res.arrayBuffer();
    latencies.push(performance.now() - t);
  }
  const forecast = await big;
  check(forecast.status === 200 && (forecast.body.percentiles as unknown[]).length === 730, `the forecast answered (${Math.round(forecast.ms)} ms, ${forecast.body.paths} paths)`);
  const slowest = Math.max(...latencies);
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(`/health while it ran: ${latencies.length} requests, p50 ${Math.round(sorted[Math.floor(sorted.length / 2)])} ms, slowest ${Math.round(slowest)} ms`);
  check(latencies.length >= 3 && slowest < 200, 'every /health during the forecast answered within 200 ms');
});
