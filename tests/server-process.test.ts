import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { createChildTestDatabase, csrfFrom, insertUser } from './helpers.ts';
import { loadConfig } from '../services/core/config.ts';

// Bursar as `npm start` and pm2 run it: server.ts in a process of its own, on a database of
// the test's own. Each test waits for what the process says or does, never for time.

/** A port nobody listens on right now, for the child to take. */
async function freePort(): Promise<number> {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

type Started = {
  child: ChildProcess;
  base: string;
  lines: string[];
  /** The first line (stdout or stderr) matching `pattern`, now or later; rejects if the process ends first. */
  line(pattern: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; at: number }>;
};

let order = 0;

function startServer(env: Record<string, string>, port: number): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    env: { ...process.env, DATABASE_URL: '', NODE_ENV: 'development', SEED_DEMO: 'never', JOBS_IN_WEB: 'never', LOG_LEVEL: 'info', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiting: { pattern: RegExp; resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      for (const w of [...waiting]) {
        if (w.pattern.test(line)) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve(line);
        }
      }
    });
  }
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => {
    child.once('exit', (code) => {
      const at = ++order;
      // Lines still buffered in the pipes are read before 'close'.
      child.once('close', () => {
        for (const w of waiting.splice(0)) w.reject(new Error(`the server exited (${code}) before printing ${w.pattern}:\n${lines.join('\n')}`));
        resolve({ code, at });
      });
    });
  });
  return {
    child,
    base: `http://127.0.0.1:${port}`,
    lines,
    exited,
    line: (pattern) => {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => waiting.push({ pattern, resolve, reject }));
    },
  };
}

/** One request on `agent`, its whole body read. */
function send(agent: http.Agent, base: string, opts: { method?: string; path: string; headers?: Record<string, string | number>; body?: string }) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request(`${base}${opts.path}`, { agent, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

test('production checks its migrations at start instead of applying them; development applies them', () => {
  const secrets = { SESSION_SECRET: 'a'.repeat(32), JWT_SECRET: 'b'.repeat(32), DATABASE_URL: 'postgres://bursar@127.0.0.1/bursar' };
  assert.equal(loadConfig({ NODE_ENV: 'production', ...secrets }).migrateOnStart, false);
  assert.equal(loadConfig({ NODE_ENV: 'production', MIGRATE_ON_START: 'always', ...secrets }).migrateOnStart, true);
  assert.equal(loadConfig({ NODE_ENV: 'development' }).migrateOnStart, true);
  assert.equal(loadConfig({ NODE_ENV: 'development', MIGRATE_ON_START: 'never' }).migrateOnStart, false);
  assert.throws(() => loadConfig({ WEB_INSTANCES: 'lots' }), /WEB_INSTANCES: must be max or a number/);
});

test('a start against a database missing a migration this build needs refuses to serve, naming it in one line', async (t) => {
  const database = await createChildTestDatabase();
  t.after(() => database.drop());
  const newest = await database.withDb(async (db) => {
    const [name] = await db('knex_migrations').orderBy('name', 'desc').limit(1).pluck('name');
    await db('knex_migrations').where({ name }).delete();
    return name as string;
  });

  const port = await freePort();
  const server = startServer({ ...database.env, MIGRATE_ON_START: 'never' }, port);
  const { code } = await server.exited;

  assert.equal(code, 1);
  const said = server.lines.filter((l) => l.trim());
  assert.deepEqual(said, [`The database lacks 1 migration this build needs (${newest}): run \`npm run migrate\` first (scripts/deploy.sh does, before it reloads).`]);
  assert.ok(!said.some((l) => /running at/.test(l)), 'it never listened');
  // Nothing was applied behind the operator's back.
  assert.equal(await database.withDb((db) => db('knex_migrations').where({ name: newest }).first()), undefined);
});

test('SIGTERM during a request: the request completes, new connections are refused, then the process exits', async (t) => {
  const database = await createChildTestDatabase();
  t.after(() => database.drop());
  const user = await database.withDb((db) => insertUser(db, { email: 'drain@example.com' }));

  const port = await freePort();
  const server = startServer(database.env, port);
  t.after(() => server.child.kill('SIGKILL'));
  await server.line(/Bursar is listening/);

  // One kept-alive connection, as a browser holds: the login form, then the sign-in on it.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const form = await send(agent, server.base, { path: '/login' });
  const cookie = String(form.headers['set-cookie']?.[0]).split(';')[0];
  const body = new URLSearchParams({ _csrf: csrfFrom(form.body), email: user.email, password: user.password }).toString();

  // The sign-in is under way (headers and half its body sent) when the process is told to stop.
  const answered = new Promise<{ status: number; headers: http.IncomingHttpHeaders; at: number }>((resolve, reject) => {
    const req = http.request(`${server.base}/login`, { agent, method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, at: ++order }));
    });
    req.on('error', reject);
    req.write(body.slice(0, body.length >> 1));
    server.child.kill('SIGTERM');
    server
      .line(/shutting down/)
      .then(async () => {
        // It no longer takes connections...
        await assert.rejects(fetch(`${server.base}/health`), 'a new connection is refused once it stops');
        // ...but finishes the request it holds.
        req.end(body.slice(body.length >> 1));
      })
      .catch(reject);
  });

  const res = await answered;
  assert.equal(res.status, 303, 'the sign-in went through');
  assert.equal(res.headers.connection, 'close', 'the client is told to take its next request elsewhere');
  const sid = decodeURIComponent(String(res.headers['set-cookie']?.[0]).split(';')[0].split('=')[1]).slice(2).split('.')[0];

  const exit = await server.exited;
  assert.equal(exit.code, 0, 'a clean exit');
  assert.ok(exit.at > res.at, 'the process exited after the answer was complete');
  assert.ok(
    server.lines.some((l) => /\bstopped\b/.test(l)),
    'it closed its database before exiting',
  );
  const session = await database.withDb((db) => db('sessions').where({ sid }).first());
  assert.equal(JSON.parse(typeof session.sess === 'string' ? session.sess : JSON.stringify(session.sess)).userId, user.id, 'the session the request made was saved');
});
