import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runJob, type Job, type JobContext } from '../services/jobs/runtime.ts';
import { fixedClock } from '../services/core/clock.ts';
import { createLogger } from '../services/core/logger.ts';
import { testConfig } from '../services/core/config.ts';
import purgeSessions from '../jobs/purge-sessions.ts';
import { createTestDb } from './helpers.ts';

describe('job runner', () => {
  let ctx: JobContext;
  let drop: () => Promise<void>;
  before(async () => {
    const t = await createTestDb();
    drop = t.drop;
    ctx = { db: t.db, clock: fixedClock('2026-11-25T03:00:00Z'), logger: createLogger('silent'), config: testConfig() };
  });
  after(() => drop());

  test('a job started while the same job runs is skipped, and both outcomes are recorded', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    let runs = 0;
    const slow: Job = {
      name: 'slow-job',
      schedule: '* * * * *',
      run: async () => {
        runs++;
        started();
        await gate;
        return { done: true };
      },
    };
    const first = runJob(slow, ctx);
    // The second starts once the first is running (on a pooled PostgreSQL that takes a few round trips).
    await running;
    const second = await runJob(slow, ctx);
    release();
    assert.equal((await first).status, 'succeeded');
    assert.equal(second.status, 'skipped');
    assert.equal(runs, 1);
    const rows = await ctx.db('job_runs').where({ job: 'slow-job' });
    assert.equal(rows.length, 1);
    assert.equal(rows[0].status, 'succeeded');
    assert.deepEqual(rows[0].result, { done: true });
  });

  test('a failing job is recorded with its error and can run again', async () => {
    let attempt = 0;
    const flaky: Job = {
      name: 'flaky',
      schedule: '* * * * *',
      run: async () => {
        if (++attempt === 1) throw new Error('provider timed out');
      },
    };
    assert.equal((await runJob(flaky, ctx, 'manual')).status, 'failed');
    assert.equal((await runJob(flaky, ctx, 'manual')).status, 'succeeded');
    const rows = await ctx.db('job_runs').where({ job: 'flaky' }).orderBy('status');
    assert.deepEqual(
      rows.map((r) => [r.status, r.error, r.trigger]),
      [
        ['failed', 'provider timed out', 'manual'],
        ['succeeded', null, 'manual'],
      ],
    );
  });

  test('purging sessions removes only the expired ones', async () => {
    await ctx.db('sessions').insert([
      { sid: 'old', sess: JSON.stringify({}), expired: '2026-11-24T00:00:00Z' },
      { sid: 'live', sess: JSON.stringify({}), expired: '2026-12-24T00:00:00Z' },
    ]);
    await runJob(purgeSessions, ctx);
    assert.deepEqual(await ctx.db('sessions').pluck('sid'), ['live']);
  });

  test('purging also removes sign-in and reset tokens past their expiry, used or not', async () => {
    const [user] = await ctx.db('users').insert({ email: 'tokens@example.com', name: 'T', password_hash: 'x' }).returning('id');
    const token = (hash: string, expires: string, used: string | null) => ({ user_id: user.id, purpose: 'magic_link', token_hash: hash, expires_at: expires, used_at: used });
    await ctx
      .db('email_tokens')
      .insert([token('expired-unused', '2026-11-25T02:00:00Z', null), token('expired-used', '2026-11-25T02:00:00Z', '2026-11-25T01:55:00Z'), token('live', '2026-11-25T03:10:00Z', null)]);
    await runJob(purgeSessions, ctx);
    assert.deepEqual(await ctx.db('email_tokens').where('user_id', user.id).pluck('token_hash'), ['live']);
  });
});
