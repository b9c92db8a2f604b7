import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as readiness from '../services/readiness/scores.ts';
import * as recommendations from '../services/readiness/recommendations.ts';
import { recommend } from '../services/readiness/recommendation-rules.ts';
import { addMember, createTestApp, insertBusiness, insertUser, signIn, type TestContext } from './helpers.ts';
import { calm } from './fixtures.ts';

describe('readiness and recommendation pages', () => {
  let ctx: TestContext;
  let businessId: string;
  let owner: Awaited<ReturnType<typeof signIn>>;
  let viewer: Awaited<ReturnType<typeof signIn>>;
  before(async () => {
    ctx = await createTestApp();
    const o = await insertUser(ctx.db);
    const v = await insertUser(ctx.db);
    businessId = (await insertBusiness(ctx.db, o.id)).id;
    await addMember(ctx.db, businessId, v.id, 'viewer');
    owner = await signIn(ctx.app, o.email, o.password);
    viewer = await signIn(ctx.app, v.email, v.password);
  });
  after(() => ctx.close());

  test('before the first computation the page says so instead of showing a made-up score', async () => {
    const res = await owner.agent.get(`/b/${businessId}/readiness`);
    assert.equal(res.status, 200);
    assert.match(res.text, /No score yet/);
    assert.match(res.text, new RegExp(`href="/b/${businessId}/imports">Import a bank statement</a>`));
    assert.doesNotMatch(res.text, /score-value/);
  });

  test('the page shows the score, the tier and components whose points add up to it', async () => {
    await readiness.record(ctx.db, ctx.clock, businessId, '2026-11-24', { ...calm, chargeback_ratio: 0.0095 });
    const stored = await readiness.record(ctx.db, ctx.clock, businessId, '2026-11-25', { ...calm, chargeback_ratio: 0.0095, refund_rate: 0.06 });
    const res = await owner.agent.get(`/b/${businessId}/readiness`);
    assert.match(res.text, new RegExp(`class="score-value">${stored.score}<`));
    const shown = [...res.text.matchAll(/<td class="num">(\d+) \/ (\d+)<\/td>/g)].map((m) => Number(m[1]));
    assert.equal(shown.length, 10);
    assert.equal(
      shown.reduce((a, b) => a + b, 0),
      stored.score,
    );
    assert.match(res.text, /0\.95%/);
    assert.match(res.text, /Get below 0\.90% for 8 points/);
    assert.match(res.text, /<polyline/, 'history is drawn once there are two scores');
  });

  test('a viewer reads recommendations but cannot change their status', async () => {
    await recommendations.sync(ctx.db, ctx.clock, businessId, recommend({ ...calm, runway_months: 3 }));
    const [rec] = await recommendations.list(ctx.db, businessId, { status: 'open', priority: 'all' });
    const page = await viewer.agent.get(`/b/${businessId}/recommendations`);
    assert.equal(page.status, 200);
    assert.match(page.text, /Cash lasts about 3\.0 months/);
    assert.doesNotMatch(page.text, /Mark done/);
    const res = await viewer.agent.post(`/b/${businessId}/recommendations/${rec.id}`).type('form').send({ _csrf: viewer.csrf, status: 'dismissed' });
    assert.equal(res.status, 403);
    assert.equal((await ctx.db('recommendations').where({ id: rec.id }).first()).status, 'open');
  });

  test('an owner decides on one in place with htmx, the page’s status counts follow out of band, and the filter finds it', async () => {
    const [rec] = await recommendations.list(ctx.db, businessId, { status: 'open', priority: 'all' });
    const before = await recommendations.counts(ctx.db, businessId);
    const res = await owner.agent.post(`/b/${businessId}/recommendations/${rec.id}`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf, status: 'dismissed' });
    assert.equal(res.status, 200);
    assert.match(res.text, /^<article class="card rec rec-high" id="rec-/);
    assert.match(res.text, /Dismissed/);
    assert.doesNotMatch(res.text, /hx-swap-oob/, 'sent from no recommendations page, there are no counts to update');

    // From the recommendations page, the status counts come along out of band: one dismissed fewer, one accepted more.
    const from = `http://bursar.test/b/${businessId}/recommendations?status=open`;
    const swapped = await owner.agent
      .post(`/b/${businessId}/recommendations/${rec.id}`)
      .set('HX-Request', 'true')
      .set('HX-Current-URL', from)
      .type('form')
      .send({ _csrf: owner.csrf, status: 'accepted' });
    const select = /<select name="status" id="recommendation-status" hx-swap-oob="true">[\s\S]*?<\/select>/.exec(swapped.text)?.[0];
    assert.ok(select, swapped.text);
    const count = (n: number) => (n ? ` \\(${n}\\)` : '');
    assert.match(select, new RegExp(`<option value="open" selected>Open${count((before.open ?? 0) - 1)}</option>`));
    assert.match(select, new RegExp(`<option value="accepted" >Accepted${count((before.accepted ?? 0) + 1)}</option>`));
    assert.match(select, new RegExp(`<option value="dismissed" >Dismissed${count(before.dismissed ?? 0)}</option>`));
    const page = await owner.agent.get(`/b/${businessId}/recommendations?status=open`);
    assert.ok(page.text.includes(select.replace(' hx-swap-oob="true"', '')), 'the counts swapped in are the ones a reload shows');
    await owner.agent.post(`/b/${businessId}/recommendations/${rec.id}`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf, status: 'dismissed' });
    const list = await owner.agent.get(`/b/${businessId}/recommendations?status=dismissed`).set('HX-Request', 'true');
    assert.match(list.text, /^<div id="recommendation-list">/);
    assert.match(list.text, new RegExp(`rec-${rec.id}`));
    const bad = await owner.agent.post(`/b/${businessId}/recommendations/${rec.id}`).type('form').send({ _csrf: owner.csrf, status: 'deleted' });
    assert.equal(bad.status, 400);
  });
});

describe('readiness and recommendations over the JSON API', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestApp();
  });
  after(() => ctx.close());

  test('GET /readiness, /readiness/history and /recommendations; PATCH a status; strangers refused', async () => {
    const o = await insertUser(ctx.db);
    const stranger = await insertUser(ctx.db);
    const businessId = (await insertBusiness(ctx.db, o.id)).id;
    await insertBusiness(ctx.db, stranger.id, { name: 'Elsewhere' });
    const owner = await signIn(ctx.app, o.email, o.password);
    const none = await owner.agent.get('/api/v1/readiness');
    assert.equal(none.status, 404);
    const stored = await readiness.record(ctx.db, ctx.clock, businessId, '2026-11-25', calm);
    await recommendations.sync(ctx.db, ctx.clock, businessId, recommend({ ...calm, gross_margin: 0.2 }));
    const r = await owner.agent.get('/api/v1/readiness');
    assert.equal(r.status, 200);
    assert.equal(r.body.score, stored.score);
    assert.equal(r.body.components.length, 10);
    const h = await owner.agent.get(`/api/v1/readiness/history?business_id=${businessId}&limit=5`);
    assert.deepEqual(
      h.body.scores.map((s: { score: number }) => s.score),
      [stored.score],
    );
    const list = await owner.agent.get('/api/v1/recommendations?status=open');
    assert.equal(list.body.recommendations.length, 1);
    const id = list.body.recommendations[0].id;
    const bad = await owner.agent.patch(`/api/v1/recommendations/${id}`).set('X-CSRF-Token', owner.csrf).send({ status: 'gone' });
    assert.equal(bad.status, 422);
    assert.ok(bad.body.error.details.status);
    const ok = await owner.agent.patch(`/api/v1/recommendations/${id}`).set('X-CSRF-Token', owner.csrf).send({ status: 'accepted' });
    assert.deepEqual(ok.body, { id, status: 'accepted' });
    const s = await signIn(ctx.app, stranger.email, stranger.password);
    const refused = await s.agent.get(`/api/v1/readiness?business_id=${businessId}`);
    assert.equal(refused.status, 403);
    const patch = await s.agent.patch(`/api/v1/recommendations/${id}`).set('X-CSRF-Token', s.csrf).send({ status: 'done', business_id: businessId });
    assert.equal(patch.status, 403);
  });
});
