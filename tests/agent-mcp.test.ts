import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import * as apiTokens from '../services/access/api-tokens.ts';
import { createTestApp, insertBusiness, insertLedgerRows, insertUser, signIn, type TestContext } from './helpers.ts';

describe('the MCP endpoint', () => {
  let ctx: TestContext;
  let server: Server;
  let baseUrl: string;
  let mine: string;
  let theirs: string;
  let token: string;
  let me: string;
  let readOnly: string;
  let cookieSession: Awaited<ReturnType<typeof signIn>>;

  const connect = async (headers: Record<string, string>) => {
    const client = new Client({ name: 'bursar-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { requestInit: { headers } }));
    return client;
  };

  before(async () => {
    ctx = await createTestApp();
    const meUser = await insertUser(ctx.db);
    me = meUser.id;
    const them = await insertUser(ctx.db);
    mine = (await insertBusiness(ctx.db, meUser.id, { name: 'Otter Outfitters' })).id;
    theirs = (await insertBusiness(ctx.db, them.id, { name: 'Private Heron Ltd' })).id;
    await insertLedgerRows(ctx.db, mine, [{ kind: 'expense', amount: -2500, amount_base: -2500, occurred_on: '2026-11-02', description: 'Figma subscription', counterparty: 'Figma' }]);
    server = await new Promise((resolve) => {
      const s = ctx.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    token = (await apiTokens.create(ctx.db, meUser.id, { name: 'Claude desktop', scope: 'write' })).token;
    readOnly = (await apiTokens.create(ctx.db, meUser.id, { name: 'Reader', scope: 'read' })).token;
    cookieSession = await signIn(ctx.app, meUser.email, meUser.password);
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await ctx.close();
  });

  test("the SDK's client lists the tools and calls one for the caller's business", async () => {
    const client = await connect({ authorization: `Bearer ${token}` });
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    assert.deepEqual(names, [
      'business_context',
      'campaign_performance',
      'cash_forecast',
      'categorisation_suggestions',
      'compare_periods',
      'expense_search',
      'knowledge_search',
      'list_businesses',
      'metric_summary',
      'profit_and_loss',
      'readiness_breakdown',
      'sku_performance',
      'subscription_metrics',
      'top_counterparties',
      'top_recommendations',
    ]);
    const search = tools.find((t) => t.name === 'expense_search')!;
    assert.ok((search.inputSchema.required as string[]).includes('business_id'));

    const listed = await client.callTool({ name: 'list_businesses', arguments: {} });
    assert.deepEqual(
      JSON.parse((listed.content as { text: string }[])[0].text).businesses.map((b: { id: string }) => b.id),
      [mine],
    );

    const result = await client.callTool({ name: 'expense_search', arguments: { business_id: mine, q: 'figma' } });
    assert.equal(result.isError, undefined);
    const body = JSON.parse((result.content as { text: string }[])[0].text);
    assert.equal(body.data.total_spent.minor, 2500);
    assert.equal(body.links[0].href, `/b/${mine}/expenses?q=figma`);
    await client.close();
  });

  test('a call for another business is refused and shows nothing of it', async () => {
    const client = await connect({ authorization: `Bearer ${token}` });
    const result = await client.callTool({ name: 'business_context', arguments: { business_id: theirs } });
    assert.equal(result.isError, true);
    const text = (result.content as { text: string }[])[0].text;
    assert.match(text, /Forbidden/);
    assert.doesNotMatch(text, /Heron/);
    await client.close();
  });

  test('no token, a wrong or revoked token, or a session cookie are refused before any tool runs', async () => {
    await assert.rejects(connect({}), /unauthorized/i);
    await assert.rejects(connect({ authorization: 'Bearer bsr_pat_not-a-real-token' }), /unauthorized/i);
    await assert.rejects(connect({ 'x-csrf-token': cookieSession.csrf }), /unauthorized/i);
    const old = await apiTokens.create(ctx.db, me, { name: 'old laptop', scope: 'write' });
    await apiTokens.revoke(ctx.db, me, old.row.id, ctx.clock.now());
    await assert.rejects(connect({ authorization: `Bearer ${old.token}` }), /unauthorized/i);
    const get = await fetch(`${baseUrl}/mcp`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(get.status, 405);
  });

  test('a session cookie with a bearer header that does not parse is refused, not taken as the cookie', async () => {
    for (const authorization of ['Bearer bsr_pat_bogus trailing', 'Bearer', 'bearer  ']) {
      const res = await cookieSession.agent
        .post('/mcp')
        .set('Authorization', authorization)
        .set('X-CSRF-Token', cookieSession.csrf)
        .set('Accept', 'application/json, text/event-stream')
        .send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
      assert.equal(res.status, 401, authorization);
    }
  });

  test('a tool that fails on our side says so plainly and shows no SQL', async () => {
    const client = await connect({ authorization: `Bearer ${token}` });
    await ctx.db.raw('alter table categories rename to categories_away');
    try {
      const result = await client.callTool({ name: 'expense_search', arguments: { business_id: mine, q: 'figma' } });
      assert.equal(result.isError, true);
      const text = (result.content as { text: string }[])[0].text;
      assert.match(text, /failed on our side/);
      assert.doesNotMatch(text, /select|categories|relation/i);
    } finally {
      await ctx.db.raw('alter table categories_away rename to categories');
      await client.close();
    }
  });

  test('a read-only token can use the tools, since every tool only reads', async () => {
    const client = await connect({ authorization: `Bearer ${readOnly}` });
    const result = await client.callTool({ name: 'business_context', arguments: { business_id: mine } });
    assert.equal(result.isError, undefined);
    await client.close();
  });
});
