import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runJob } from '../services/jobs/runtime.ts';
import { createLogger } from '../services/core/logger.ts';
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
  });
});
