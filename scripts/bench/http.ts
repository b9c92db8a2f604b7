/**
 * What the HTTP benchmarks share: the app and the bare baseline run as child processes
 * (so the load generator never shares their event loop), a signed-in cookie, and a
 * bounded loop of concurrent fetches that reports latency percentiles and throughput.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';

// The app runs as in production (cached templates, no dev logging), which trusts one
// proxy and marks its session cookie Secure: requests say they came through HTTPS.
export const PROXY = { 'x-forwarded-proto': 'https' };

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

export type LoadResult = { concurrency: number; requests: number; errors: number; rps: number; p50_ms: number; p95_ms: number; p99_ms: number };

/**
 * `concurrency` workers fetch for `seconds`; `url(i)` gives the i-th request's URL, so a
 * run can vary its filters. A response other than 200 counts as an error.
 */
export async function load(url: string | ((i: number) => string), headers: Record<string, string>, concurrency: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const urlOf = typeof url === 'string' ? () => url : url;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const res = await fetch(urlOf(next++), { headers: { ...PROXY, ...headers }, redirect: 'manual' });
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

/** Extra node flags for the servers, e.g. BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile them under load. */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/** A child process running `args` under tsx, resolved once its output matches `ready`. */
export async function startChild(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(process.execPath, [...NODE_FLAGS, '--import', 'tsx', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

export async function stopChildren(children: ChildProcess[]): Promise<void> {
  for (const c of children) {
    c.kill('SIGTERM');
    await once(c, 'exit').catch(() => undefined);
  }
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Bursar in production mode on `databaseUrl`, no demo seed; its base URL. */
export async function startApp(databaseUrl: string, extraEnv: Record<string, string> = {}): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const env = {
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    SEED_DEMO: 'never',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    SESSION_SECRET: randomBytes(24).toString('hex'),
    JWT_SECRET: randomBytes(24).toString('hex'),
    DATABASE_POOL_MAX: '10',
    // The requests stand in for a TLS proxy on this machine (PROXY): the session cookie is Secure in production.
    TRUST_PROXY: 'loopback',
    ...extraEnv,
  };
  const { child } = await startChild(['server.ts'], env, /Bursar is running at (\S+)/);
  return { child, base: `http://127.0.0.1:${port}` };
}

/** The bare 50-row Nunjucks page (bare-server.ts) in its own process; its URL. */
export async function startBare(): Promise<{ child: ChildProcess; url: string }> {
  const { child, output } = await startChild(['scripts/bench/bare-server.ts'], { PORT: '0' }, /"port":\d+/);
  return { child, url: `http://127.0.0.1:${JSON.parse(/\{"port":\d+\}/.exec(output)![0]).port}/` };
}

/** Signs in through the form, as a browser would; the session cookie. */
export async function signIn(base: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${base}/login`, { headers: PROXY });
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { ...PROXY, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email, password }),
    redirect: 'manual',
  });
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status}`);
  return (
    res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ') || cookie
  );
}
