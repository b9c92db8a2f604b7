import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { businessRoutes, listRoutes } from '../routes/index.ts';
import { testConfig } from '../services/core/config.ts';
import { createLogger } from '../services/core/logger.ts';
import { systemClock } from '../services/core/clock.ts';
import type { Role } from '../services/access/businesses.ts';
import { addMember, createTestApp, insertBusiness, insertUser, signIn, type TestContext } from './helpers.ts';

/**
 * What each role may do, by path, so routes other issues add later are classified
 * without touching this file: every write is at least for members, paths about
 * people and integrations are for admins, billing and deleting the business for owners.
 */
const OWNER_ONLY = [/^\/settings\/deletion$/, /^\/billing(\/|$)/];
// Exchange rates are shared market data, so only owners and admins change them.
// Connecting and disconnecting a provider is for admins; any writer may ask for a sync.
const MANAGERS_ONLY = [/^\/members(\/|$)/, /^\/integrations(\/|$)/, /^\/connections\/[^/]+\/(authorizations|disconnection)$/, /^\/settings$/, /^\/rates(\/|$)/, /^\/rate-imports(\/|$)/];
/** Writes about oneself that every role may make: leaving the business, one's own email digest, one's own chats. */
const SELF_SERVICE = [/^\/members\/departures$/, /^\/digest$/, /^\/chat(\/|$)/];

function writeRoutes() {
  const router = businessRoutes({ db: undefined as never, config: testConfig(), clock: systemClock, logger: createLogger('silent') });
  return listRoutes(router).filter((r) => !['GET', 'HEAD'].includes(r.method) && !SELF_SERVICE.some((p) => p.test(r.path)));
}

function mayWrite(role: Role, path: string): boolean {
  if (OWNER_ONLY.some((p) => p.test(path))) return role === 'owner';
  if (MANAGERS_ONLY.some((p) => p.test(path))) return role === 'owner' || role === 'admin';
  return role !== 'viewer';
}

describe('roles, for every business route', () => {
  let ctx: TestContext;
  let businessId: string;
  const agents = {} as Record<Role, Awaited<ReturnType<typeof signIn>>>;

  before(async () => {
    ctx = await createTestApp();
    const owner = await insertUser(ctx.db);
    businessId = (await insertBusiness(ctx.db, owner.id, { name: 'Role Play Ltd' })).id;
    agents.owner = await signIn(ctx.app, owner.email, owner.password);
    for (const role of ['admin', 'member', 'viewer'] as const) {
      const user = await insertUser(ctx.db);
      await addMember(ctx.db, businessId, user.id, role);
      agents[role] = await signIn(ctx.app, user.email, user.password);
    }
  });
  after(() => ctx.close());

  test('the table covers member management and deleting the business', () => {
    const paths = writeRoutes().map((r) => `${r.method} ${r.path}`);
    for (const p of ['POST /members/invitations', 'POST /members/:userId/role', 'POST /members/:userId/removal', 'POST /settings/deletion']) {
      assert.ok(paths.includes(p), p);
    }
  });

  for (const role of ['viewer', 'member', 'admin', 'owner'] as const) {
    test(`${role === 'owner' || role === 'admin' ? 'an' : 'a'} ${role} is refused exactly the writes above their role`, async () => {
      for (const route of writeRoutes()) {
        const url = `/b/${businessId}${route.path.replace(/:\w+/g, () => randomUUID())}`;
        // An empty body: allowed writes fail validation or find nothing, so nothing changes.
        const res = await agents[role].agent[route.method.toLowerCase() as 'post'](url).set('X-CSRF-Token', agents[role].csrf).set('Accept', 'application/json');
        if (mayWrite(role, route.path)) assert.notEqual(res.status, 403, `${role} ${route.method} ${route.path} was refused`);
        else assert.equal(res.status, 403, `${role} ${route.method} ${route.path} answered ${res.status}`);
      }
      const still = await ctx.db('businesses').where({ id: businessId }).first('name');
      assert.equal(still.name, 'Role Play Ltd');
    });
  }
});
