import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import request from 'supertest';
import { captureLogger, createTestApp, insertBusiness, insertUser, signIn } from './helpers.ts';
import { createLogger, readableLines } from '../services/core/logger.ts';

type Line = { level: number; msg: string; req?: { id: string; method: string; url: string }; res?: { statusCode: number }; responseTime?: number; user?: string; business?: string };

const requestLines = (lines: string[]) =>
  lines
    .map((l) => JSON.parse(l) as Line)
    .filter((l) => l.req && l.res)
    .map((l) => ({ ...l, url: l.req!.url }));

test('each request is one line with its id, user, business, status and duration; a slow one is a warning', async (t) => {
  const { logger, lines } = captureLogger();
  const ctx = await createTestApp({ logger, config: { slowRequestMs: 60_000 } });
  t.after(() => ctx.close());
  const user = await insertUser(ctx.db);
  const business = await insertBusiness(ctx.db, user.id);
  const { agent } = await signIn(ctx.app, user.email, user.password);
  lines.length = 0;

  const page = await agent.get(`/b/${business.id}/expenses`).set('X-Request-Id', 'edge-42');
  assert.equal(page.status, 200);
  assert.equal(page.headers['x-request-id'], 'edge-42', 'the proxy’s id is kept and answered');
  await request(ctx.app).get('/vendor/htmx.min.js');
  await agent.get(`/b/${business.id}/no-such-page`);

  const logged = requestLines(lines);
  const seen = logged.find((l) => l.url === `/b/${business.id}/expenses`);
  assert.ok(seen, 'the page request was logged');
  assert.equal(seen.msg, 'request completed');
  assert.equal(seen.level, 30);
  assert.equal(seen.req!.id, 'edge-42');
  assert.equal(seen.user, user.id);
  assert.equal(seen.business, business.id);
  assert.equal(seen.res!.statusCode, 200);
  assert.equal(typeof seen.responseTime, 'number');
  assert.ok(!logged.some((l) => l.url.startsWith('/vendor/')), 'an asset served well is not logged');
  const missing = logged.find((l) => l.url.endsWith('/no-such-page'));
  assert.equal(missing?.level, 40, 'a 404 is a warning');

  // The same request past the slow threshold.
  const slow = captureLogger();
  const slowCtx = await createTestApp({ logger: slow.logger, config: { slowRequestMs: 0 } });
  t.after(() => slowCtx.close());
  await request(slowCtx.app).get('/login');
  const [line] = requestLines(slow.lines);
  assert.equal(line.msg, 'slow request');
  assert.equal(line.level, 40);
});

test('in a terminal a request is one readable line', () => {
  let out = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  const logger = createLogger('info', readableLines(sink));
  logger.info({ req: { id: 'x', method: 'GET', url: '/b/1/expenses?q=%5Bredacted%5D' }, res: { statusCode: 200 }, responseTime: 12, user: 'u1' }, 'request completed');
  logger.warn({ req: { id: 'y', method: 'POST', url: '/login' }, res: { statusCode: 200 }, responseTime: 1500 }, 'slow request');
  logger.info({ applied: ['20261202_031_integrations'] }, 'migrations applied');
  const lines = out.trim().split('\n');
  assert.match(lines[0], /INFO.*GET \/b\/1\/expenses\?q=%5Bredacted%5D 200 12 ms$/);
  assert.match(lines[1], /WARN.*POST \/login 200 1500 ms \(slow request\)$/);
  assert.match(out, /migrations applied/);
  assert.doesNotMatch(lines[0], /\{|"u1"/, 'no JSON on the request line');
});
