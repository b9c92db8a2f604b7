import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import request from 'supertest';
import { createApp } from '../server.ts';
import { testConfig } from '../services/core/config.ts';
import { createMemoryDb } from '../services/core/db.ts';
import { createLogger } from '../services/core/logger.ts';
import { systemClock } from '../services/core/clock.ts';
import { captureLogger, createTestApp, csrfFrom, insertBusiness, insertUser, type TestContext } from './helpers.ts';

describe('health, logs and failures', () => {
  let ctx: TestContext;
  let logs: string[];
  before(async () => {
    const captured = captureLogger();
    logs = captured.lines;
    ctx = await createTestApp({ logger: captured.logger });
  });
  after(() => ctx.close());

  test('/health reports the database, the migrations and the version', async () => {
    const res = await request(ctx.app).get('/health');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { ok: true, database: 'ok', migrations: 'current', version: ctx.config.version });
  });

  test('/health answers 503 when migrations are pending', async () => {
    const db = await createMemoryDb();
    const app = createApp({ db, config: testConfig(), clock: systemClock, logger: createLogger('silent') });
    const res = await request(app).get('/health');
    assert.equal(res.status, 503);
    assert.equal(res.body.migrations, 'pending');
    await db.destroy();
  });

  test('no password, session cookie or CSRF token reaches the logs of a sign-in', async () => {
    const user = await insertUser(ctx.db, { password: 'Sup3r-Secret-Passw0rd!' });
    const agent = request.agent(ctx.app);
    const page = await agent.get('/login?next=%2Fbusinesses&token=magic-abc-123');
    const csrf = csrfFrom(page.text);
    const res = await agent.post('/login').type('form').send({ _csrf: csrf, email: user.email, password: user.password });
    const sid = /bursar\.sid=([^;]+)/.exec(String(res.headers['set-cookie']))![1];
    await agent.get('/businesses');
    const text = logs.join('');
    assert.match(text, /"url":"\/login/, 'requests are logged');
    assert.match(text, /"id":"[0-9a-f-]{36}"/, 'with a request id');
    for (const secret of ['Sup3r-Secret-Passw0rd!', sid, decodeURIComponent(sid), csrf, 'magic-abc-123']) {
      assert.ok(!text.includes(secret), `log contains a secret: ${secret.slice(0, 6)}…`);
    }
  });

  test('a failure shows a page naming the request id, and logs it', async () => {
    const user = await insertUser(ctx.db);
    const business = await insertBusiness(ctx.db, user.id);
    const agent = request.agent(ctx.app);
    const page = await agent.get('/login');
    await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: user.email, password: user.password });
    // The dashboard reads the stored aggregates, so break those to make it fail.
    await ctx.db.raw('alter table daily_totals rename to daily_totals_away');
    try {
      const res = await agent.get(`/b/${business.id}`);
      assert.equal(res.status, 500);
      const id = res.headers['x-request-id'];
      assert.ok(id);
      assert.match(res.text, new RegExp(`reference <code>${id}</code>`));
      assert.doesNotMatch(res.text, /daily_totals_away|relation|at .*\.ts:/, 'no internals on the page');
      assert.ok(logs.some((l) => l.includes('"level":50') && l.includes(id)));
    } finally {
      await ctx.db.raw('alter table daily_totals_away rename to daily_totals');
    }
  });
});

describe('start-up configuration', () => {
  test('a malformed DATABASE_URL stops start-up with one line naming the variable', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'server.ts'], {
      env: { ...process.env, DATABASE_URL: 'not-a-url', PORT: '0' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.notEqual(run.status, 0);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /DATABASE_URL/);
    assert.doesNotMatch(run.stderr, /not-a-url|\n\s+at /);
  });
});
