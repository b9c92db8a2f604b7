import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApp } from '../server.ts';
import { sendMail } from '../services/core/mailer.ts';
import { testConfig } from '../services/core/config.ts';
import { createLogger } from '../services/core/logger.ts';
import { fixedClock } from '../services/core/clock.ts';
import { createTestApp, type TestContext } from './helpers.ts';
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
  before(async () => {
    ctx = await createTestApp();
    sendgrid = await startFakeSendGrid();
  });
  after(async () => {
    await sendgrid.close();
    await ctx.close();
  });

  test('without a SendGrid key a message lands in the outbox, readable in the browser as HTML and text', async () => {
    const delivery = await sendMail(ctx.db, ctx.config, logger, invitation);
    assert.equal(delivery.via, 'outbox');
    const list = await request(ctx.app).get('/dev/outbox');
    assert.equal(list.status, 200);
    assert.match(list.text, /Join Tom &amp; Jerry Ltd on Bursar/);
    const page = await request(ctx.app).get(`/dev/outbox/${delivery.id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /Ada invited you to join Tom &amp; Jerry Ltd on Bursar as a member/, 'the text body, escaped once by the page');
    const html = await request(ctx.app).get(`/dev/outbox/${delivery.id}/html`);
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

  test('the outbox does not exist in production', async () => {
    const app = createApp({ db: ctx.db, config: { ...testConfig(), env: 'production', isProduction: true }, clock: fixedClock('2026-11-25T12:00:00Z'), logger });
    const res = await request(app).get('/dev/outbox');
    assert.equal(res.status, 404);
  });
});
