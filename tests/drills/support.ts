import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as wait } from 'node:timers/promises';

/** Bursar started as `npm start` starts it (server.ts on DATABASE_URL), on a port of the drill's own. */
export function startBursar(port: number): { app: ChildProcess; base: string; running: () => boolean } {
  const app = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], { env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn' }, stdio: ['ignore', 'inherit', 'inherit'] });
  let exited = false;
  app.on('exit', () => {
    exited = true;
  });
  return { app, base: `http://127.0.0.1:${port}`, running: () => !exited };
}

/** Waits until `ok` holds, asking every 100 ms; throws naming `what` after `ms`. */
export async function until(what: string, ms: number, ok: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok().catch(() => false)) return;
    await wait(100);
  }
  throw new Error(`${what} did not happen within ${ms} ms`);
}

/**
 * What a drill checks, one line each, closed by the "N passed, N failed" line CI reads; the
 * drill's process exits 1 when any failed. Runs the drill, stops Bursar, reports.
 */
export async function runDrill(app: ChildProcess | { stop: () => Promise<void> }, drill: (check: (ok: boolean, what: string) => void) => Promise<void>): Promise<never> {
  const results = { passed: 0, failed: 0 };
  const check = (ok: boolean, what: string) => {
    results[ok ? 'passed' : 'failed']++;
    console.log(`${ok ? 'ok    ' : 'FAILED'} ${what}`);
  };
  try {
    await drill(check);
  } catch (err) {
    check(false, `the drill ran to its end (${(err as Error).message})`);
  } finally {
    if ('stop' in app) await app.stop().catch((err) => check(false, `Bursar stopped (${(err as Error).message})`));
    else app.kill('SIGTERM');
  }
  console.log(`${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed ? 1 : 0);
}

/**
 * A signed-in browser session of the demo user: its cookie, from the login form. `headers`
 * go with both requests (a drill behind a pretend TLS proxy sends X-Forwarded-Proto).
 */
export async function signIn(base: string, headers: Record<string, string> = {}): Promise<string> {
  const form = await fetch(`${base}/login`, { headers });
  const cookie = (form.headers.get('set-cookie') ?? '').split(';')[0];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!csrf) throw new Error(`the login form answered ${form.status} without a CSRF token`);
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...headers, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email: 'demo@bursar.local', password: 'bursar-demo' }),
  });
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] || cookie;
}
