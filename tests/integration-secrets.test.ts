import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { keyRing, open, rotateCredentials, seal } from '../services/integrations/secrets.ts';
import { providerFetch, retryAfterMs } from '../services/integrations/http.ts';
import { testConfig } from '../services/core/config.ts';
import { captureLogger, createTestApp, insertBusiness, insertUser, type TestContext } from './helpers.ts';
import * as records from '../services/integrations/records.ts';

describe('credentials sealed at rest', () => {
  test('a sealed value names its key, opens only with it, and a tampered one is refused', () => {
    const ring = keyRing(testConfig());
    const sealed = seal(ring, 'sk_live_secret');
    assert.ok(!sealed.includes('sk_live_secret'));
    assert.equal(sealed.split('.')[1], ring.current.id);
    assert.equal(open(ring, sealed), 'sk_live_secret');
    assert.notEqual(seal(ring, 'sk_live_secret'), sealed, 'a fresh nonce every time');
    const parts = sealed.split('.');
    parts[4] = Buffer.from('sk_live_secreT').toString('base64url');
    assert.throws(() => open(ring, parts.join('.')));
    assert.throws(() => open(keyRing(testConfig()), sealed), /not among ENCRYPTION_KEY/);
  });

  test('production without ENCRYPTION_KEY refuses to seal instead of inventing a key', () => {
    const config = { ...testConfig(), encryption: { keys: [], keyFile: null } };
    assert.throws(() => keyRing(config), /no ENCRYPTION_KEY/);
  });

  describe('rotate-key', () => {
    let ctx: TestContext;
    before(async () => {
      ctx = await createTestApp();
    });
    after(() => ctx.close());

    test('re-seals every credential with the new first key; the old key can then go', async () => {
      const user = await insertUser(ctx.db);
      const business = await insertBusiness(ctx.db, user.id);
      await records.connect(ctx.db, ctx.config, ctx.clock.now(), {
        businessId: business.id,
        provider: 'stripe',
        accountId: 'acct_rotate',
        accountName: 'R',
        secret: { access_token: 'tok_1' },
        userId: user.id,
      });
      const oldKey = ctx.config.encryption.keys[0];
      const newKey = randomBytes(32).toString('hex');
      const both = { ...ctx.config, encryption: { keys: [newKey, oldKey], keyFile: null } };
      assert.deepEqual(await rotateCredentials(ctx.db, both), { resealed: 1, current: 0 });
      assert.deepEqual(await rotateCredentials(ctx.db, both), { resealed: 0, current: 1 });
      const onlyNew = { ...ctx.config, encryption: { keys: [newKey], keyFile: null } };
      assert.deepEqual(await records.credentials(ctx.db, onlyNew, business.id, 'stripe'), { access_token: 'tok_1' });
    });
  });
});

describe('the provider fetch', () => {
  let server: Server;
  let url: string;
  const answers: { status: number; headers?: Record<string, string> }[] = [];
  before(async () => {
    server = createServer((_req, res) => {
      const a = answers.shift() ?? { status: 200 };
      res.writeHead(a.status, { 'Content-Type': 'application/json', ...a.headers });
      res.end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('retries 429 and 5xx, waiting as Retry-After says or doubling, and logs no query or header', async () => {
    const waits: number[] = [];
    const { logger, lines } = captureLogger();
    const f = providerFetch({ provider: 'test', logger, timeoutMs: 5000, sleep: async (ms) => void waits.push(ms), baseDelayMs: 100 });
    answers.push({ status: 429, headers: { 'Retry-After': '2' } }, { status: 503 }, { status: 502 }, { status: 200 });
    const res = await f(`${url}/v1/things?token=abc123`, { headers: { Authorization: 'Bearer sk_secret' } });
    assert.equal(res.status, 200);
    assert.deepEqual(waits, [2000, 200, 400]);
    const log = lines.join('');
    assert.ok(!log.includes('abc123') && !log.includes('sk_secret'), 'no secret in the logs');
    assert.match(log, /"path":"\/v1\/things"/);
  });

  test('gives up after its attempts and hands back the last answer; a 4xx is not retried', async () => {
    const waits: number[] = [];
    const f = providerFetch({ provider: 'test', logger: captureLogger().logger, timeoutMs: 5000, attempts: 2, sleep: async (ms) => void waits.push(ms) });
    answers.push({ status: 500 }, { status: 500 });
    assert.equal((await f(`${url}/x`)).status, 500);
    answers.push({ status: 404 });
    assert.equal((await f(`${url}/x`)).status, 404);
    assert.equal(waits.length, 1);
  });

  test('Retry-After in seconds or as an HTTP date', () => {
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs(new Date(Date.UTC(2026, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2026, 0, 1)), 10_000);
    assert.equal(retryAfterMs('soon'), null);
  });
});
