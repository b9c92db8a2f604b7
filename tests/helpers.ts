import { after, before } from 'node:test';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../server.ts';
import { createWorker } from '../services/jobs/worker.ts';
import { JOBS } from '../jobs/registry.ts';
import { testConfig, type Config } from '../services/core/config.ts';
import { createDb, createMemoryDb, dumpMemoryDb, migrateLatest, type Db } from '../services/core/db.ts';
import { PGlite } from '@electric-sql/pglite';

// A template dumped by one PGlite version is not loaded by another.
const pgliteVersion: string = JSON.parse(readFileSync(new URL('../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8')).version;
import { createLogger, type Logger } from '../services/core/logger.ts';
import { fixedClock } from '../services/core/clock.ts';
import * as users from '../services/access/users.ts';
import * as businesses from '../services/access/businesses.ts';
import type { Role } from '../services/access/businesses.ts';
import * as ledger from '../services/ledger/transactions.ts';
import type { NewTransaction } from '../services/ledger/transactions.ts';
import { systemActor } from '../services/ledger/audit.ts';

export const TODAY = '2026-11-25';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

/** Names the schema the migrations make, so a template is rebuilt when any of them changes. */
function schemaKey(): string {
  const hash = createHash('sha256').update(pgliteVersion);
  for (const file of readdirSync(MIGRATIONS_DIR).sort()) hash.update(file).update(readFileSync(path.join(MIGRATIONS_DIR, file)));
  return hash.digest('hex').slice(0, 16);
}

/**
 * A migrated PGlite data directory, made once per schema and kept in the temp folder
 * for every test file (each runs in its own process) to load: opening a copy is
 * several times cheaper than migrating anew. Written under a temporary name and
 * renamed, so a file that reads it concurrently never sees half of it.
 */
async function pgliteTemplate(): Promise<Blob> {
  const file = path.join(tmpdir(), `bursar-test-template-${schemaKey()}.tar`);
  try {
    return new Blob([readFileSync(file)]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const db = await createMemoryDb();
  await migrateLatest(db);
  const blob = await dumpMemoryDb(db);
  await db.destroy();
  const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(partial, Buffer.from(await blob.arrayBuffer()));
  renameSync(partial, file);
  return blob;
}

/**
 * A migrated template database on the server, made once per schema; every test file's
 * database is a copy of it (`create database ... template`). Concurrent test files wait
 * for the first one on an advisory lock held by a connection of its own: CREATE DATABASE
 * cannot run inside a transaction, so a transaction-scoped lock cannot cover it, and a
 * pooled connection could be closed while idle, dropping a session lock early.
 */
async function serverTemplate(admin: Knex): Promise<string> {
  const name = `bursar_template_${schemaKey()}`;
  const lock = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock(hashtext($1))', [name]);
    const { rows } = await admin.raw('select 1 from pg_database where datname = ?', [name]);
    if (rows.length) return name;
    await admin.raw(`drop database if exists ${name}_building with (force)`);
    await admin.raw(`create database ${name}_building`);
    const db = knexFactory({ client: 'pg', connection: databaseUrl(`${name}_building`), pool: { min: 0, max: 1 } });
    try {
      await migrateLatest(db);
    } finally {
      await db.destroy();
    }
    await admin.raw(`alter database ${name}_building rename to ${name}`);
    return name;
  } finally {
    await lock.end();
  }
}

function databaseUrl(name: string): string {
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh, migrated in-memory PGlite database, whatever TEST_DATABASE_URL says. */
export async function createPgliteTestDb(): Promise<Db> {
  return createMemoryDb(await pgliteTemplate());
}

/**
 * A fresh, migrated database for one test file: in-memory PGlite loaded from the
 * migrated template, or on the server named by TEST_DATABASE_URL a new database
 * copied from the template there (dropped by `drop`).
 */
export async function createTestDb(): Promise<{ db: Db; drop(): Promise<void> }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const db = await createMemoryDb(await pgliteTemplate());
    return { db, drop: () => db.destroy() };
  }
  const name = `bursar_test_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${name} template ${await serverTemplate(admin)}`);
  const db = knexFactory({ client: 'pg', connection: databaseUrl(name), pool: { min: 0, max: 5 } });
  return {
    db,
    async drop() {
      await db.destroy();
      await admin.raw(`drop database if exists ${name} with (force)`);
      await admin.destroy();
    },
  };
}

/**
 * A fresh, migrated database for a Bursar started as a child process: a PGlite data directory
 * copied from the template (a child opens it once this process has let go: PGlite belongs to
 * one process at a time), or a new database on TEST_DATABASE_URL's server. `env` points the
 * child at it; `withDb` opens it here meanwhile, to prepare it or to look at what the child did.
 */
export async function createChildTestDatabase(): Promise<{ env: Record<string, string>; withDb<T>(use: (db: Db) => Promise<T>): Promise<T>; drop(): Promise<void> }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const dir = mkdtempSync(path.join(tmpdir(), 'bursar-test-pglite-'));
    await (await PGlite.create(dir, { loadDataDir: await pgliteTemplate() })).close();
    return {
      env: { PGLITE_DIR: dir },
      async withDb(use) {
        const db = await createDb(testConfig({ databaseUrl: null, pgliteDir: dir }));
        try {
          return await use(db);
        } finally {
          await db.destroy();
        }
      },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `bursar_test_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${name} template ${await serverTemplate(admin)}`);
  return {
    env: { DATABASE_URL: databaseUrl(name) },
    async withDb(use) {
      const db = knexFactory({ client: 'pg', connection: databaseUrl(name), pool: { min: 0, max: 2 } });
      try {
        return await use(db);
      } finally {
        await db.destroy();
      }
    },
    async drop() {
      await admin.raw(`drop database if exists ${name} with (force)`);
      await admin.destroy();
    },
  };
}

/** Collects log lines so a test can assert what was (and was not) logged. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

export type TestContext = Awaited<ReturnType<typeof createTestApp>>;

/** The whole app on a fresh database, with a fixed clock and a silent (or captured) logger. */
export async function createTestApp(opts: { logger?: Logger; config?: Partial<Config> } = {}) {
  const { db, drop } = await createTestDb();
  const clock = fixedClock(`${TODAY}T12:00:00Z`);
  const config = testConfig(opts.config);
  const logger = opts.logger ?? createLogger('silent');
  // A worker that runs what the routes enqueue (an import) when they nudge it, and only then:
  // no polling, no schedule, no background refresh, so a test sees only the work it caused.
  const worker = createWorker({ db, config, clock, logger }, JOBS, { pollMs: 3_600_000 });
  const jobs = {
    nudge: () => {
      worker.drain().catch((err) => logger.error({ err }, 'a test job failed'));
    },
    runOne: worker.runOne,
  };
  const app = createApp({ db, config, clock, logger, jobs });
  return { app, db, clock, config, logger, worker, close: drop };
}

let userCounter = 0;

export async function insertUser(db: Db, overrides: Partial<{ email: string; name: string; password: string }> = {}) {
  userCounter++;
  const password = overrides.password ?? 'correct horse battery';
  const user = await users.createUser(db, {
    email: overrides.email ?? `user${userCounter}-${randomBytes(3).toString('hex')}@example.com`,
    name: overrides.name ?? `User ${userCounter}`,
    password,
  });
  return { ...user, password };
}

export async function insertBusiness(db: Db, ownerId: string, overrides: Partial<businesses.BusinessInput> = {}) {
  return businesses.create(db, ownerId, {
    name: 'Test Shop',
    legal_entity: null,
    industry: 'E-commerce',
    currency: 'USD',
    revenue_estimate: null,
    founded_on: null,
    ...overrides,
  });
}

export async function addMember(db: Db, businessId: string, userId: string, role: Role) {
  await db('memberships').insert({ business_id: businessId, user_id: userId, role });
}

let rowCounter = 0;

/** Ledger rows with sensible defaults; amounts are minor units, money in is positive. Audited as `system:tests`. */
export async function insertLedgerRows(db: Db, businessId: string, rows: Partial<NewTransaction>[]) {
  return ledger.insertMany(
    db,
    systemActor('tests', new Date(`${TODAY}T12:00:00Z`)),
    rows.map((r) => ({
      business_id: businessId,
      kind: 'expense',
      amount: -1000,
      currency: 'USD',
      amount_base: r.amount ?? -1000,
      occurred_on: TODAY,
      description: 'Test row',
      source: 'test',
      external_id: `row-${++rowCounter}`,
      ...r,
    })),
  );
}

/** The CSRF token in a rendered page (hidden field or the body's hx-headers). */
export function csrfFrom(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html) ?? /X-CSRF-Token&#34;: &#34;([^&]+)&#34;/.exec(html) ?? /"X-CSRF-Token": "([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token in page');
  return m[1];
}

/** A supertest agent signed in as the user, and the session's CSRF token for forms. */
export async function signIn(app: Express, email: string, password: string) {
  const agent = request.agent(app);
  const page = await agent.get('/login');
  const res = await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email, password });
  if (res.status !== 303) throw new Error(`sign-in failed with ${res.status}`);
  const home = await agent.get('/businesses');
  return { agent, csrf: csrfFrom(home.text) };
}

/** The most common base fixture: a signed-in owner of one fresh business. */
export async function signedInOwner(ctx: TestContext, business: Partial<businesses.BusinessInput> = {}) {
  const user = await insertUser(ctx.db);
  const businessId = (await insertBusiness(ctx.db, user.id, business)).id;
  return { user, businessId, owner: await signIn(ctx.app, user.email, user.password) };
}

/**
 * The usual base fixture of a describe block: the app on a fresh database and a signed-in
 * owner of one business, made before its tests and closed after them (read its fields in tests).
 */
export function appWithOwner(opts: { config?: Partial<Config>; business?: Partial<businesses.BusinessInput> } = {}) {
  const fixture = {} as { ctx: TestContext } & Awaited<ReturnType<typeof signedInOwner>>;
  before(async () => {
    fixture.ctx = await createTestApp({ config: opts.config });
    Object.assign(fixture, await signedInOwner(fixture.ctx, opts.business));
  });
  after(() => fixture.ctx.close());
  return fixture;
}

/** Another user, added to the business with `role` and signed in. */
export async function signedInMember(ctx: TestContext, businessId: string, role: Role) {
  const user = await insertUser(ctx.db);
  await addMember(ctx.db, businessId, user.id, role);
  return signIn(ctx.app, user.email, user.password);
}
