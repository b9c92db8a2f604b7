import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { SignJWT } from 'jose';
import { createApp } from '../server.ts';
import { loadConfig, testConfig } from '../services/core/config.ts';
import { withInstanceSecrets } from '../services/core/instance-secrets.ts';
import { createLogger } from '../services/core/logger.ts';
import { createTestDb, insertUser, signIn, TODAY } from './helpers.ts';
import { fixedClock } from '../services/core/clock.ts';
import type { Db } from '../services/core/db.ts';

/** Every string literal of 16 characters or more in the app's own source: the constants a forger could read. */
function sourceConstants(): string[] {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (file.endsWith('.ts')) for (const m of readFileSync(file, 'utf8').matchAll(/'([^'\n]{16,})'|"([^"\n]{16,})"|`([^`$\n]{16,})`/g)) found.add(m[1] ?? m[2] ?? m[3]);
    }
  };
  for (const dir of ['services', 'routes', 'scripts', 'jobs']) walk(dir);
  for (const m of readFileSync('server.ts', 'utf8').matchAll(/'([^'\n]{16,})'/g)) found.add(m[1]);
  return [...found];
}

const forge = (secret: string, userId: string, claims: { exp?: boolean } = {}) => {
  const iat = Math.floor(Date.parse(`${TODAY}T12:00:00Z`) / 1000);
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setIssuer('bursar').setAudience('bursar-api').setIssuedAt(iat);
  if (claims.exp !== false) jwt.setExpirationTime(iat + 600);
  return jwt.sign(new TextEncoder().encode(secret));
};

describe('a default install, with no .env', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let app: ReturnType<typeof createApp>;
  let config: Awaited<ReturnType<typeof withInstanceSecrets>>;
  before(async () => {
    ({ db, drop } = await createTestDb());
    // What `npm start` does with an empty environment: development, secrets unset.
    config = await withInstanceSecrets(db, loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent', SEED_DEMO: 'never' }));
    app = createApp({ db, config, clock: fixedClock(`${TODAY}T12:00:00Z`), logger: createLogger('silent') });
  });
  after(() => drop());

  test('refuses an access token signed with any constant written in the source', async () => {
    const user = await insertUser(db);
    const constants = sourceConstants();
    assert.ok(constants.length > 50, 'the scan found the source');
    for (const secret of constants) {
      const res = await request(app)
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${await forge(secret, user.id)}`);
      assert.equal(res.status, 401, `a token signed with ${JSON.stringify(secret.slice(0, 40))} was accepted`);
    }
    const genuine = await request(app)
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${await forge(config.jwtSecret, user.id)}`);
    assert.equal(genuine.status, 200, 'the instance secret itself signs valid tokens');
  });

  test('refuses an access token that never expires', async () => {
    const user = await insertUser(db);
    const res = await request(app)
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${await forge(config.jwtSecret, user.id, { exp: false })}`);
    assert.equal(res.status, 401);
  });

  test('keeps its secrets across restarts, and another install has different ones', async () => {
    const again = await withInstanceSecrets(db, loadConfig({ NODE_ENV: 'development' }));
    assert.equal(again.sessionSecret, config.sessionSecret);
    assert.equal(again.jwtSecret, config.jwtSecret);
    assert.notEqual(config.sessionSecret, config.jwtSecret);
    assert.ok(config.sessionSecret.length >= 32 && config.jwtSecret.length >= 32);
    const other = await createTestDb();
    try {
      const otherConfig = await withInstanceSecrets(other.db, loadConfig({ NODE_ENV: 'development' }));
      assert.notEqual(otherConfig.sessionSecret, config.sessionSecret);
      assert.notEqual(otherConfig.jwtSecret, config.jwtSecret);
    } finally {
      await other.drop();
    }
  });

  test('production still refuses to start without the secrets set', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://x@127.0.0.1/x', JWT_SECRET: 'j'.repeat(32) }), /SESSION_SECRET: required in production/);
    assert.throws(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://x@127.0.0.1/x', SESSION_SECRET: 's'.repeat(32) }), /JWT_SECRET: required in production/);
  });

  test('a password change ends the API refresh tokens too', async () => {
    const user = await insertUser(db);
    const login = await request(app).post('/api/v1/auth/login').send({ email: user.email, password: user.password });
    assert.equal(login.status, 200);
    const { agent, csrf } = await signIn(app, user.email, user.password);
    const change = await agent.post('/account/password').type('form').send({ _csrf: csrf, current_password: user.password, new_password: 'a brand new passphrase' });
    assert.equal(change.status, 303);
    const refreshed = await request(app).post('/api/v1/auth/refresh').send({ refresh_token: login.body.refresh_token });
    assert.equal(refreshed.status, 401);
  });
});

describe('client addresses behind (or not behind) a proxy', () => {
  let db: Db;
  let drop: () => Promise<void>;
  before(async () => ({ db, drop } = await createTestDb()));
  after(() => drop());

  const appWith = (trustProxy: boolean | number) => {
    const config = { ...testConfig(), env: 'production' as const, isProduction: true, trustProxy };
    config.rateLimits = { ...config.rateLimits, loginPerIp: 3, loginPerAccount: 100 };
    return createApp({ db, config, clock: fixedClock(`${TODAY}T12:00:00Z`), logger: createLogger('silent') });
  };
  const attempt = (app: ReturnType<typeof createApp>, n: number) =>
    request(app)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', `203.0.113.${n}`)
      .send({ email: `nobody${n}@example.com`, password: 'wrong password here' });

  test('by default a spoofed X-Forwarded-For does not give each attempt a fresh address to rate-limit', async () => {
    const app = appWith(false);
    const statuses = [];
    for (let n = 1; n <= 4; n++) statuses.push((await attempt(app, n)).status);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
  });

  test('with TRUST_PROXY set, the address the proxy reports is the one limited', async () => {
    await db('rate_limits').delete();
    const app = appWith(1);
    for (let n = 10; n <= 14; n++) assert.equal((await attempt(app, n)).status, 401);
  });
});
