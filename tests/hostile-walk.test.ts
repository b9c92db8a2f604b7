import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Router } from 'express';
import { businessRoutes, listRoutes } from '../routes/index.ts';
import { businessApiRoutes } from '../routes/api/v1/index.ts';
import { accountRoutes } from '../routes/access/accounts.ts';
import { accountSettingsRoutes } from '../routes/access/account.ts';
import { businessListRoutes } from '../routes/access/businesses.ts';
import { invitationRoutes } from '../routes/access/invitations.ts';
import { signInLinkRoutes } from '../routes/access/sign-in-links.ts';
import { appWithOwner, insertLedgerRows } from './helpers.ts';

/**
 * Every registered route, every field a form or query of Bursar names, and a table of
 * values no careful user sends: each answer is below 500, comes within 2 s, and the
 * server is healthy afterwards. A route added later is walked without a line here.
 */
const HOSTILE: [label: string, value: string][] = [
  ['far date', '9999-12-31'],
  ['impossible date', '2025-02-30'],
  ['zero date', '0000-00-00'],
  ['NUL byte', 'a\u0000b'],
  ['10 kB', 'x'.repeat(10_000)],
  ['huge number', '1e309'],
  ['minus zero', '-0'],
  ['RTL and emoji', '\u202eﺏﺎﺴﺣ 😀💸\u202c'],
  ['bad id', '------------------------------------'],
  ['bad cursor', Buffer.from('["2026-01-01",{"a":1}]').toString('base64url')],
];

/** Typed values a JSON body may carry where a string or number is expected. */
const WRONG_TYPES: [label: string, value: unknown][] = [
  ['an object', { $gt: '' }],
  ['an array', ['a', 'b']],
  ['a boolean', true],
  ['null', null],
  ['a huge number', 1e300],
];

/** The names of every field Bursar's forms and links use, read from its views, and the API's query names. */
function fieldNames(): string[] {
  const names = new Set([
    'business_id',
    'start_date',
    'end_date',
    'limit',
    'cursor',
    'after',
    'line',
    'source',
    'spent_on',
    'vendor',
    'paths',
    'horizon_days',
    'seed',
    'scenario',
    'mapping',
    'dry_run',
  ]);
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const file = path.join(dir, entry);
      if (statSync(file).isDirectory()) walk(file);
      else for (const m of readFileSync(file, 'utf8').matchAll(/name="([a-z_]+)"/g)) names.add(m[1]);
    }
  };
  walk('views');
  for (const skip of ['_csrf', 'viewport', 'htmx', 'file']) names.delete(skip);
  return [...names];
}

/** Writes that would end the walk's own session or access; every other route is walked. */
const SESSION_ENDING = /\/(logout|sign-out|sessions|departures)\b|\/account\/password$/;

describe('a walk of hostile values over every route', () => {
  const fixture = appWithOwner();
  const deps = () => ({ db: fixture.ctx.db, config: fixture.ctx.config, clock: fixture.ctx.clock, logger: undefined as never });
  let token: string;
  const statuses = new Map<number, number>();
  before(async () => {
    await insertLedgerRows(fixture.ctx.db, fixture.businessId, [{ kind: 'sale', amount: 5000, amount_base: 5000 }, { description: 'Office chair' }]);
    const login = await request(fixture.ctx.app).post('/api/v1/auth/login').send({ email: fixture.user.email, password: fixture.user.password });
    token = login.body.token;
  });

  function routes(): { method: string; url: string; api: boolean }[] {
    const d = deps();
    const groups: [string, Router, boolean][] = [
      [`/b/${fixture.businessId}`, businessRoutes(d), false],
      ['/api/v1', businessApiRoutes(d), true],
      ['', accountRoutes(d), false],
      ['', accountSettingsRoutes(d), false],
      ['', businessListRoutes(d), false],
      ['', invitationRoutes(d), false],
      ['', signInLinkRoutes(d), false],
    ];
    const out = [];
    for (const [prefix, router, api] of groups) {
      for (const r of listRoutes(router)) {
        const url = `${prefix}${r.path === '/' ? '' : r.path}`.replace(/:\w+/g, '00000000-0000-4000-8000-000000000000');
        if (!SESSION_ENDING.test(url)) out.push({ method: r.method, url, api });
      }
    }
    return out;
  }

  async function send(route: { method: string; url: string; api: boolean }, fields: Record<string, unknown>, label: string) {
    const agent = fixture.owner.agent;
    const verb = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    let req = agent[verb](route.url).set('X-CSRF-Token', fixture.owner.csrf);
    if (route.api) req = req.set('Authorization', `Bearer ${token}`).set('Accept', 'application/json');
    if (route.method === 'GET') req = req.query(fields as Record<string, string>);
    else if (route.api) req = req.send(fields as object);
    else req = req.type('form').send({ ...(fields as object), _csrf: fixture.owner.csrf });
    const started = performance.now();
    const res = await req.timeout(5000);
    const ms = performance.now() - started;
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    assert.ok(res.status < 500, `${route.method} ${route.url} with ${label} answered ${res.status}: ${res.text.slice(0, 300)}`);
    assert.ok(ms < 2000, `${route.method} ${route.url} with ${label} took ${Math.round(ms)} ms`);
  }

  test('no value in any field of any route is a 500 or a hang, and the server stays healthy', async (t) => {
    const all = routes();
    assert.ok(all.length > 60, `walked ${all.length} routes`);
    const names = fieldNames();
    let sent = 0;
    for (const route of all) {
      for (const [label, value] of HOSTILE) {
        const fields = Object.fromEntries(names.map((n) => [n, n === 'business_id' && route.api ? fixture.businessId : value]));
        await send(route, fields, label);
        sent++;
      }
      if (route.api && route.method !== 'GET') {
        for (const [label, value] of WRONG_TYPES) {
          await send(route, Object.fromEntries(names.map((n) => [n, n === 'business_id' ? fixture.businessId : value])), label);
          sent++;
        }
      }
    }
    const health = await request(fixture.ctx.app).get('/health');
    assert.equal(health.status, 200);
    assert.ok(sent > 600, `sent ${sent} requests`);
    t.diagnostic(`${sent} requests over ${all.length} routes; answers: ${[...statuses].map(([status, n]) => `${status} ×${n}`).join(', ')}`);
  });
});
