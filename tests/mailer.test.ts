import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApp } from '../server.ts';
import { sendMail } from '../services/core/mailer.ts';
import { testConfig } from '../services/core/config.ts';
import { createLogger } from '../services/core/logger.ts';
import { fixedClock } from '../services/core/clock.ts';
import { createTestApp, insertUser, signIn, type TestContext } from './helpers.ts';
import { startFakeSendGrid } from './fakes/sendgrid.ts';

const invitation = {
  to: 'sam@example.com',
  subject: 'Join Tom & Jerry Ltd on Bursar',
  template: 'invitation' as const,
  data: { inviter: 'Ada', business: 'Tom & Jerry Ltd', role: 'member', url: 'http://127.0.0.1:3000/invitation?token=abc', days: 7 },
};

describe('mail', () => {
  let ctx: TestContext;
  let sendgrid: Awaited<ReturnType<typeof startFakeSendGrid>>;
  const logger = createLogger('silent');
  let operator: Awaited<ReturnType<typeof signIn>>;
  before(async () => {
    ctx = await createTestApp({ config: { operatorEmails: ['ops@example.com'] } });
    const user = await insertUser(ctx.db, { email: 'ops@example.com' });
    operator = await signIn(ctx.app, user.email, user.password);
    sendgrid = await startFakeSendGrid();
  });
  after(async () => {
    await sendgrid.close();
    await ctx.close();
  });

  test('without a SendGrid key a message lands in the outbox, readable by an operator as HTML and text', async () => {
    const delivery = await sendMail(ctx.db, ctx.config, logger, invitation);
    assert.equal(delivery.via, 'outbox');
    const list = await operator.agent.get('/dev/outbox');
    assert.equal(list.status, 200);
    assert.match(list.text, /Join Tom &amp; Jerry Ltd on Bursar/);
    const page = await operator.agent.get(`/dev/outbox/${delivery.id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /Ada invited you to join Tom &amp; Jerry Ltd on Bursar as a member/, 'the text body, escaped once by the page');
    const html = await operator.agent.get(`/dev/outbox/${delivery.id}/html`);
    assert.match(html.headers['content-type'], /text\/html/);
    assert.match(html.text, /<strong>Tom &amp; Jerry Ltd<\/strong>/);
    assert.match(html.text, /href="http:\/\/127\.0\.0\.1:3000\/invitation\?token=abc"/);
  });

  test('with a key, the message goes through the SendGrid SDK to the API, and nothing to the outbox', async () => {
    const config = { ...ctx.config, sendgrid: { apiKey: sendgrid.apiKey, apiUrl: sendgrid.url } };
    const before = await ctx.db('outbox').count({ n: '*' }).first();
    const delivery = await sendMail(ctx.db, config, logger, invitation);
    assert.equal(delivery.via, 'sendgrid');
    assert.ok(delivery.id);
    assert.equal(sendgrid.received.length, 1);
    const got = sendgrid.received[0];
    assert.equal(got.authorization, `Bearer ${sendgrid.apiKey}`);
    assert.match(got.contentType, /application\/json/);
    assert.deepEqual(got.body.personalizations[0].to, [{ email: 'sam@example.com' }]);
    assert.equal(got.body.from.email, 'no-reply@bursar.local');
    assert.equal(got.body.subject, 'Join Tom & Jerry Ltd on Bursar');
    const types = got.body.content.map((c: { type: string }) => c.type);
    assert.deepEqual(types, ['text/plain', 'text/html']);
    assert.match(got.body.content[0].value, /Ada invited you to join Tom & Jerry Ltd/, 'the text part is not HTML-escaped');
    assert.deepEqual(await ctx.db('outbox').count({ n: '*' }).first(), before);
  });

  test('a key SendGrid refuses is an error, not a silent success', async () => {
    const config = { ...ctx.config, sendgrid: { apiKey: 'SG.wrong', apiUrl: sendgrid.url } };
    await assert.rejects(sendMail(ctx.db, config, logger, invitation), (err: { code?: number; response?: { body?: any } }) => {
      assert.equal(err.code, 401);
      assert.match(err.response!.body.errors[0].message, /authorization grant is invalid/);
      return true;
    });
  });

  test('an anonymous visitor and a signed-in user who is not an operator see no link from the outbox', async () => {
    const delivery = await sendMail(ctx.db, ctx.config, logger, invitation);
    for (const path of ['/dev/outbox', `/dev/outbox/${delivery.id}`, `/dev/outbox/${delivery.id}/html`]) {
      const anonymous = await request(ctx.app).get(path);
      assert.equal(anonymous.status, 302, path);
      assert.match(anonymous.headers.location, /^\/login\?next=/);
      assert.doesNotMatch(anonymous.text, /invitation\?token=/);
    }
    const stranger = await insertUser(ctx.db);
    const signedIn = await signIn(ctx.app, stranger.email, stranger.password);
    const res = await signedIn.agent.get(`/dev/outbox/${delivery.id}`);
    assert.equal(res.status, 403);
    assert.doesNotMatch(res.text, /invitation\?token=/);
  });

  test('the outbox does not exist in production', async () => {
    const app = createApp({ db: ctx.db, config: { ...testConfig(), env: 'production', isProduction: true }, clock: fixedClock('2026-11-25T12:00:00Z'), logger });
    const res = await request(app).get('/dev/outbox');
    assert.equal(res.status, 404);
  });
});
