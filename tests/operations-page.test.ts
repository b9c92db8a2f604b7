import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runJob } from '../services/jobs/runtime.ts';
import { createLogger } from '../services/core/logger.ts';
import request from 'supertest';
import { createApp } from '../server.ts';
import { createTestApp, insertUser, signIn, type TestContext } from './helpers.ts';

describe('operator page', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestApp({ config: { operatorEmails: ['ops@example.com'] } });
  });
  after(() => ctx.close());

  test('operators see job runs with their outcome and error; everyone else gets 403', async () => {
    await runJob(
      {
        name: 'sync-stripe',
        schedule: '* * * * *',
        run: async () => {
          throw new Error('Stripe answered 503');
        },
      },
      { db: ctx.db, clock: ctx.clock, logger: createLogger('silent'), config: ctx.config },
    );
    const op = await insertUser(ctx.db, { email: 'ops@example.com' });
    const other = await insertUser(ctx.db);
    const opSession = await signIn(ctx.app, op.email, op.password);
    const page = await opSession.agent.get('/ops');
    assert.equal(page.status, 200);
    assert.match(page.text, /sync-stripe/);
    assert.match(page.text, /Stripe answered 503/);
    assert.match(page.text, /current/);
    const otherSession = await signIn(ctx.app, other.email, other.password);
    assert.equal((await otherSession.agent.get('/ops')).status, 403);
    assert.equal((await otherSession.agent.post('/ops/runs').type('form').send({ _csrf: otherSession.csrf, job: 'purge-sessions' })).status, 403);
  });

  test('"run now" queues a scheduled job for a worker; the queue and the run show on the page', async () => {
    const op = await insertUser(ctx.db, { email: 'ops2@example.com' });
    const opSession = await signIn(ctx.app, op.email, op.password);
    ctx.config.operatorEmails.push('ops2@example.com');
    const unknown = await opSession.agent.post('/ops/runs').type('form').send({ _csrf: opSession.csrf, job: 'no-such-job' });
    assert.equal(unknown.status, 404);
    const queued = await opSession.agent.post('/ops/runs').type('form').send({ _csrf: opSession.csrf, job: 'purge-sessions' });
    assert.equal(queued.status, 303);
    await ctx.worker.drain();
    const page = await opSession.agent.get('/ops');
    assert.match(page.text, /Job queue/);
    assert.match(page.text, /purge-sessions<\/code> succeeded: 1/);
    const run = await ctx.db('job_runs').where({ job: 'purge-sessions' }).first();
    assert.deepEqual([run.status, run.trigger], ['succeeded', 'manual']);
  });
});

describe('the job control route of an embedded app', () => {
  test('runs a job for the holder of the instance token only; anyone else gets 403 and nothing runs', async () => {
    const ctx = await createTestApp();
    try {
      const token = 'a'.repeat(64);
      const app = createApp({ db: ctx.db, config: ctx.config, clock: ctx.clock, logger: createLogger('silent'), control: { token } });
      const refused = await request(app)
        .post('/internal/jobs')
        .set('authorization', `Bearer ${'b'.repeat(64)}`)
        .send({ name: 'purge-sessions' });
      assert.equal(refused.status, 403);
      assert.equal((await request(app).post('/internal/jobs').send({ name: 'purge-sessions' })).status, 403);
      assert.equal(
        await ctx
          .db('job_runs')
          .where({ job: 'purge-sessions' })
          .count({ n: '*' })
          .first()
          .then((r) => Number(r!.n)),
        0,
      );
      const unknown = await request(app).post('/internal/jobs').set('authorization', `Bearer ${token}`).send({ name: 'no-such-job' });
      assert.equal(unknown.status, 404);
      const ran = await request(app).post('/internal/jobs').set('authorization', `Bearer ${token}`).send({ name: 'purge-sessions' });
      assert.equal(ran.status, 200);
      assert.equal(ran.body.status, 'succeeded');
      // An app without a control token (PostgreSQL, or a test app) has no such route: the request meets the session's CSRF check.
      assert.equal((await request(ctx.app).post('/internal/jobs').set('authorization', `Bearer ${token}`).send({ name: 'purge-sessions' })).status, 403);
    } finally {
      await ctx.close();
    }
  });
});
