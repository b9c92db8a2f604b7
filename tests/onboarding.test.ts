import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appWithOwner, insertBusiness, insertUser, signedInMember, signIn } from './helpers.ts';

/** The steps of the dashboard's checklist as `key:done|todo`, or null when the list is not shown. */
function steps(html: string): string[] | null {
  if (!html.includes('id="checklist"')) return null;
  return [...html.matchAll(/<li class="(done)?" data-step="(\w+)">/g)].map((m) => `${m[2]}:${m[1] ? 'done' : 'todo'}`);
}

describe('the first-run checklist', () => {
  const f = appWithOwner();
  const dashboard = async (agent = f.owner.agent) => (await agent.get(`/b/${f.businessId}`)).text;

  test('a new business is shown every step as an action, none done', async () => {
    const html = await dashboard();
    assert.deepEqual(steps(html), ['connect:todo', 'import:todo', 'invite:todo', 'ask:todo']);
    for (const href of ['/connections', '/imports', '/members', '/chat']) assert.match(html, new RegExp(`class="button small[^"]*" href="/b/${f.businessId}${href}"`));
    // The empty dashboard's own message is actions too, not a sentence to act on.
    assert.match(html, new RegExp(`<a class="button" href="/b/${f.businessId}/sales/new">Record a sale</a>`));
  });

  test('each step is ticked by what the business did, not by a click on the list', async () => {
    const imported = await f.owner.agent
      .post('/api/v1/imports')
      .set('X-CSRF-Token', f.owner.csrf)
      .field('business_id', f.businessId)
      .attach('file', Buffer.from('Date,Description,Amount\n2026-11-20,Coffee beans,-12.00\n2026-11-21,Market stall,240.00\n'), 'statement.csv');
    assert.equal(imported.status, 201);
    assert.deepEqual(steps(await dashboard()), ['connect:todo', 'import:done', 'invite:todo', 'ask:todo']);
    const invited = await f.owner.agent.post(`/b/${f.businessId}/members/invitations`).type('form').send({ _csrf: f.owner.csrf, email: 'books@example.com', role: 'member' });
    assert.equal(invited.status, 303);
    assert.deepEqual(steps(await dashboard()), ['connect:todo', 'import:done', 'invite:done', 'ask:todo']);
    await f.owner.agent.post(`/b/${f.businessId}/chat/messages`).type('form').send({ _csrf: f.owner.csrf, message: 'What is my runway?' });
    assert.deepEqual(steps(await dashboard()), ['connect:todo', 'import:done', 'invite:done', 'ask:done']);
    // Connecting is the last step; with it done the list goes away by itself.
    const now = new Date();
    await f.ctx.db('integrations').insert({ business_id: f.businessId, provider: 'stripe', status: 'connected', created_at: now, updated_at: now });
    assert.equal(steps(await dashboard()), null);
    await f.ctx.db('integrations').where({ business_id: f.businessId }).update({ status: 'disconnected' });
    assert.deepEqual(steps(await dashboard()), ['connect:todo', 'import:done', 'invite:done', 'ask:done']);
  });

  test('a viewer sees the list but cannot hide it; a stranger is refused; the owner hides it for everyone', async () => {
    const viewer = await signedInMember(f.ctx, f.businessId, 'viewer');
    assert.ok(steps(await dashboard(viewer.agent)));
    assert.doesNotMatch(await dashboard(viewer.agent), /checklist-dismissal/);
    assert.equal((await viewer.agent.post(`/b/${f.businessId}/checklist-dismissal`).type('form').send({ _csrf: viewer.csrf })).status, 403);
    const other = await insertUser(f.ctx.db);
    await insertBusiness(f.ctx.db, other.id);
    const stranger = await signIn(f.ctx.app, other.email, other.password);
    const refused = await stranger.agent.post(`/b/${f.businessId}/checklist-dismissal`).type('form').send({ _csrf: stranger.csrf });
    assert.equal(refused.status, 403);
    assert.ok(steps(await dashboard()), 'still shown');
    const hidden = await f.owner.agent.post(`/b/${f.businessId}/checklist-dismissal`).type('form').send({ _csrf: f.owner.csrf });
    assert.equal(hidden.status, 303);
    assert.equal(steps(await dashboard()), null);
    assert.equal(steps(await dashboard(viewer.agent)), null);
  });

  test('a demo business never shows it', async () => {
    const demo = await insertBusiness(f.ctx.db, f.user.id, { name: 'Demo Store' });
    await f.ctx.db('businesses').where({ id: demo.id }).update({ is_demo: true });
    assert.equal(steps((await f.owner.agent.get(`/b/${demo.id}`)).text), null);
  });
});
