import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runJob } from '../services/jobs/runtime.ts';
import { createLogger } from '../services/core/logger.ts';
import recoverImports from '../jobs/recover-imports.ts';
import { ABANDONED_MESSAGE, INTERRUPTED_MESSAGE } from '../services/ledger/imports/index.ts';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestApp, insertBusiness, insertUser, signIn, type TestContext } from './helpers.ts';

describe('an import cut off by a crash', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestApp();
  });
  after(() => ctx.close());

  test('goes back to pending with a message once the queue no longer holds it, while one a worker still holds is left alone', async () => {
    const user = await insertUser(ctx.db);
    const biz = await insertBusiness(ctx.db, user.id);
    const mapping = JSON.stringify({ date: 'Date', amount: 'Amount', description: 'Text' });
    const [dead] = await ctx
      .db('import_batches')
      .insert({ business_id: biz.id, status: 'running', filename: 'march.csv', mapping, processed_rows: 4000, heartbeat_at: ctx.db.raw(`now() - interval '10 minutes'`) })
      .returning('id');
    const [alive] = await ctx
      .db('import_batches')
      .insert({ business_id: biz.id, status: 'running', filename: 'april.csv', mapping, processed_rows: 100, heartbeat_at: ctx.db.fn.now() })
      .returning('id');
    // The live one's job is in a worker's hands; the dead one's job failed for good (or never was).
    await ctx.db('job_queue').insert({
      name: 'run-import',
      payload: JSON.stringify({ batchId: alive.id }),
      singleton_key: alive.id,
      state: 'running',
      attempts: 1,
      run_after: ctx.clock.now(),
      created_at: ctx.clock.now(),
      locked_by: 'elsewhere',
      locked_until: ctx.clock.now(),
    });
    await ctx
      .db('job_queue')
      .insert({ name: 'run-import', payload: JSON.stringify({ batchId: dead.id }), singleton_key: dead.id, state: 'failed', attempts: 3, run_after: ctx.clock.now(), created_at: ctx.clock.now() });
    const outcome = await runJob(recoverImports, { db: ctx.db, clock: ctx.clock, logger: createLogger('silent'), config: ctx.config });
    assert.equal(outcome.status, 'succeeded');
    const rows = await ctx.db('import_batches').whereIn('id', [dead.id, alive.id]).orderBy('filename', 'desc');
    assert.deepEqual(
      rows.map((r) => [r.filename, r.status, r.processed_rows]),
      [
        ['march.csv', 'pending', 0],
        ['april.csv', 'running', 100],
      ],
    );
    assert.equal(rows[0].error, INTERRUPTED_MESSAGE);
    const { agent } = await signIn(ctx.app, user.email, user.password);
    const page = await agent.get(`/b/${biz.id}/imports/${dead.id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /The server stopped during this import, so nothing was imported/);
    assert.doesNotMatch(page.text, /hx-trigger="every 1s"/, 'the page no longer polls a dead run');
  });

  test('an upload left unimported for a week gives up its file and says so; a recent one keeps it', async () => {
    const user = await insertUser(ctx.db);
    const biz = await insertBusiness(ctx.db, user.id);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bursar-abandoned-'));
    const file = (name: string) => {
      const p = path.join(dir, name);
      writeFileSync(p, 'Date,Amount,Text\n2026-11-01,-12.00,Coffee\n');
      return p;
    };
    const now = ctx.clock.now().getTime();
    const [old] = await ctx
      .db('import_batches')
      .insert({ business_id: biz.id, status: 'pending', filename: 'october.csv', file_path: file('old.csv'), created_at: new Date(now - 8 * 86_400_000) })
      .returning(['id', 'file_path']);
    const [recent] = await ctx
      .db('import_batches')
      .insert({ business_id: biz.id, status: 'pending', filename: 'november.csv', file_path: file('recent.csv'), created_at: new Date(now - 86_400_000) })
      .returning(['id', 'file_path']);
    const outcome = await runJob(recoverImports, { db: ctx.db, clock: ctx.clock, logger: createLogger('silent'), config: ctx.config });
    assert.equal(outcome.status, 'succeeded');
    assert.equal(existsSync(old.file_path), false, 'the week-old statement is deleted');
    assert.equal(existsSync(recent.file_path), true, 'the recent one is kept');
    const rows = await ctx.db('import_batches').whereIn('id', [old.id, recent.id]).orderBy('filename', 'desc');
    assert.deepEqual(
      rows.map((r) => [r.filename, r.status]),
      [
        ['october.csv', 'failed'],
        ['november.csv', 'pending'],
      ],
    );
    assert.equal(rows[0].error, ABANDONED_MESSAGE);
    const { agent } = await signIn(ctx.app, user.email, user.password);
    assert.match((await agent.get(`/b/${biz.id}/imports/${old.id}`)).text, /waited more than 7 days without being imported/);
  });
});
