import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { hashToken } from '../services/core/crypto.ts';
import { addMember, createTestApp, csrfFrom, insertBusiness, insertUser, signIn, TODAY, type TestContext } from './helpers.ts';

async function invitationLink(ctx: TestContext, email: string): Promise<URL> {
  const row = await ctx.db('outbox').where({ to_address: email }).orderBy('created_at', 'desc').first('text', 'subject');
  assert.ok(row, `no invitation mailed to ${email}`);
  return new URL(/(http\S+\/invitation\?token=\S+)/.exec(row.text)![1]);
}

async function roleOf(ctx: TestContext, businessId: string, userId: string) {
  return (await ctx.db('memberships').where({ business_id: businessId, user_id: userId }).first('role'))?.role;
}

describe('members and invitations', () => {
  let ctx: TestContext;
  let owner: Awaited<ReturnType<typeof insertUser>>;
  let ownerAgent: Awaited<ReturnType<typeof signIn>>;
  let businessId: string;

  before(async () => {
    ctx = await createTestApp();
    owner = await insertUser(ctx.db, { name: 'Olive Owner' });
    businessId = (await insertBusiness(ctx.db, owner.id, { name: 'Olive Oils' })).id;
    ownerAgent = await signIn(ctx.app, owner.email, owner.password);
  });
  after(() => ctx.close());

  const invite = (agent: Awaited<ReturnType<typeof signIn>>, email: string, role: string) =>
    agent.agent.post(`/b/${businessId}/members/invitations`).type('form').send({ _csrf: agent.csrf, email, role });

  test('an owner invites by email; the invitee signs up from the link, accepts and sees the business', async () => {
    const sent = await invite(ownerAgent, 'New.Person@example.com', 'member');
    assert.equal(sent.status, 303);
    const mail = await ctx.db('outbox').where({ to_address: 'new.person@example.com' }).first('subject', 'html');
    assert.match(mail.subject, /Olive Owner invited you to Olive Oils/);
    const link = await invitationLink(ctx, 'new.person@example.com');
    const stored = await ctx.db('invitations').where({ business_id: businessId }).first('token_hash', 'expires_at');
    assert.equal(stored.token_hash, hashToken(link.searchParams.get('token')!));
    assert.equal(new Date(stored.expires_at).toISOString(), '2026-12-02T12:00:00.000Z', 'seven days');

    const guest = request.agent(ctx.app);
    const landing = await guest.get(`${link.pathname}${link.search}`);
    assert.equal(landing.status, 200);
    assert.match(landing.text, /Join Olive Oils/);
    const signupHref = /href="(\/signup\?[^"]+)"/.exec(landing.text)![1].replace(/&amp;/g, '&');
    const signupPage = await guest.get(signupHref);
    assert.match(signupPage.text, /value="new.person@example.com"/);
    const created = await guest
      .post('/signup')
      .type('form')
      .send({ _csrf: csrfFrom(signupPage.text), name: 'Nia New', email: 'new.person@example.com', password: 'nia long password', next: new URL(signupHref, 'http://x').searchParams.get('next') });
    assert.equal(created.status, 303);
    assert.equal(created.headers.location, `${link.pathname}${link.search}`);
    const confirm = await guest.get(created.headers.location);
    const accepted = await guest
      .post('/invitation')
      .type('form')
      .send({ _csrf: csrfFrom(confirm.text), token: link.searchParams.get('token') });
    assert.equal(accepted.status, 303);
    assert.equal(accepted.headers.location, `/b/${businessId}`);
    const home = await guest.get(`/b/${businessId}`);
    assert.equal(home.status, 200);
    assert.match(home.text, /Olive Oils/);
    const nia = await ctx.db('users').where({ email: 'new.person@example.com' }).first('id');
    assert.equal(await roleOf(ctx, businessId, nia.id), 'member');

    const again = await guest
      .post('/invitation')
      .type('form')
      .send({ _csrf: csrfFrom(confirm.text), token: link.searchParams.get('token') });
    assert.equal(again.status, 404, 'an invitation works once');
    const members = await ownerAgent.agent.get(`/b/${businessId}/members`);
    assert.match(members.text, /Nia New/);
  });

  test('an invitation is for its address only, and expires after seven days', async () => {
    await invite(ownerAgent, 'sam@example.com', 'viewer');
    const link = await invitationLink(ctx, 'sam@example.com');
    const other = await insertUser(ctx.db, { email: 'not-sam@example.com' });
    const otherAgent = await signIn(ctx.app, other.email, other.password);
    const wrong = await otherAgent.agent
      .post('/invitation')
      .type('form')
      .send({ _csrf: otherAgent.csrf, token: link.searchParams.get('token') });
    assert.equal(wrong.status, 403);
    assert.equal(await roleOf(ctx, businessId, other.id), undefined);

    const sam = await insertUser(ctx.db, { email: 'sam@example.com' });
    ctx.clock.advance(7 * 86_400_000 + 1000);
    try {
      const samAgent = await signIn(ctx.app, sam.email, sam.password);
      const late = await samAgent.agent
        .post('/invitation')
        .type('form')
        .send({ _csrf: samAgent.csrf, token: link.searchParams.get('token') });
      assert.equal(late.status, 404);
      assert.equal((await samAgent.agent.get(`${link.pathname}${link.search}`)).status, 410);
    } finally {
      ctx.clock.set(`${TODAY}T12:00:00Z`);
    }
    assert.equal(await roleOf(ctx, businessId, sam.id), undefined);
  });

  test('a withdrawn invitation no longer works', async () => {
    await invite(ownerAgent, 'withdrawn@example.com', 'member');
    const link = await invitationLink(ctx, 'withdrawn@example.com');
    const page = await ownerAgent.agent.get(`/b/${businessId}/members`);
    const id = /name="invitation" value="([0-9a-f-]{36})"[\s\S]*?Withdraw/.exec(page.text.slice(page.text.indexOf('withdrawn@example.com')))![1];
    const res = await ownerAgent.agent.post(`/b/${businessId}/members/revoked-invitations`).type('form').send({ _csrf: ownerAgent.csrf, invitation: id });
    assert.equal(res.status, 303);
    assert.doesNotMatch((await ownerAgent.agent.get(`/b/${businessId}/members`)).text, /withdrawn@example.com/);
    assert.equal((await request(ctx.app).get(`${link.pathname}${link.search}`)).status, 410);
  });

  test('inviting someone already a member is a field error', async () => {
    const res = await invite(ownerAgent, owner.email, 'member');
    assert.equal(res.status, 422);
    assert.match(res.text, /already a member/);
  });

  test('an admin cannot invite or promote owners, nor remove one', async () => {
    const admin = await insertUser(ctx.db);
    await addMember(ctx.db, businessId, admin.id, 'admin');
    const adminAgent = await signIn(ctx.app, admin.email, admin.password);
    assert.equal((await invite(adminAgent, 'boss@example.com', 'owner')).status, 403);
    assert.equal((await invite(adminAgent, 'helper@example.com', 'member')).status, 303);
    const helper = await insertUser(ctx.db);
    await addMember(ctx.db, businessId, helper.id, 'viewer');
    const promote = await adminAgent.agent.post(`/b/${businessId}/members/${helper.id}/role`).type('form').send({ _csrf: adminAgent.csrf, role: 'owner' });
    assert.equal(promote.status, 403);
    const toMember = await adminAgent.agent.post(`/b/${businessId}/members/${helper.id}/role`).type('form').send({ _csrf: adminAgent.csrf, role: 'member' });
    assert.equal(toMember.status, 303);
    assert.equal(await roleOf(ctx, businessId, helper.id), 'member');
    const removeOwner = await adminAgent.agent.post(`/b/${businessId}/members/${owner.id}/removal`).type('form').send({ _csrf: adminAgent.csrf });
    assert.equal(removeOwner.status, 403);
    const removeHelper = await adminAgent.agent.post(`/b/${businessId}/members/${helper.id}/removal`).type('form').send({ _csrf: adminAgent.csrf });
    assert.equal(removeHelper.status, 303);
    assert.equal(await roleOf(ctx, businessId, helper.id), undefined);
  });

  test('the last owner can neither leave nor be demoted; with a second owner they can', async () => {
    const demote = await ownerAgent.agent.post(`/b/${businessId}/members/${owner.id}/role`).type('form').send({ _csrf: ownerAgent.csrf, role: 'admin' });
    assert.equal(demote.status, 409);
    const leave = await ownerAgent.agent.post(`/b/${businessId}/members/departures`).type('form').send({ _csrf: ownerAgent.csrf });
    assert.equal(leave.status, 409);
    assert.match(leave.text, /at least one owner/);
    assert.equal(await roleOf(ctx, businessId, owner.id), 'owner');

    const second = await insertUser(ctx.db);
    await addMember(ctx.db, businessId, second.id, 'member');
    const promote = await ownerAgent.agent.post(`/b/${businessId}/members/${second.id}/role`).type('form').send({ _csrf: ownerAgent.csrf, role: 'owner' });
    assert.equal(promote.status, 303);
    const secondAgent = await signIn(ctx.app, second.email, second.password);
    const left = await secondAgent.agent.post(`/b/${businessId}/members/departures`).type('form').send({ _csrf: secondAgent.csrf });
    assert.equal(left.status, 303);
    assert.equal((await secondAgent.agent.get(`/b/${businessId}`)).status, 403);
  });

  test('a viewer sees the members but no management forms, and can leave', async () => {
    const viewer = await insertUser(ctx.db, { name: 'Vera Viewer' });
    await addMember(ctx.db, businessId, viewer.id, 'viewer');
    const agent = await signIn(ctx.app, viewer.email, viewer.password);
    const page = await agent.agent.get(`/b/${businessId}/members`);
    assert.equal(page.status, 200);
    assert.match(page.text, /Olive Owner/);
    assert.doesNotMatch(page.text, /Send invitation/);
    const left = await agent.agent.post(`/b/${businessId}/members/departures`).type('form').send({ _csrf: agent.csrf });
    assert.equal(left.status, 303);
    assert.equal(await roleOf(ctx, businessId, viewer.id), undefined);
  });

  test('only an owner deletes the business, and only by typing its name', async () => {
    const doomed = await insertBusiness(ctx.db, owner.id, { name: 'Doomed Co' });
    const admin = await insertUser(ctx.db);
    await addMember(ctx.db, doomed.id, admin.id, 'admin');
    const adminAgent = await signIn(ctx.app, admin.email, admin.password);
    assert.equal((await adminAgent.agent.post(`/b/${doomed.id}/settings/deletion`).type('form').send({ _csrf: adminAgent.csrf, confirm_name: 'Doomed Co' })).status, 403);
    const settings = await adminAgent.agent.get(`/b/${doomed.id}/settings`);
    assert.doesNotMatch(settings.text, /Delete the business/);
    const typo = await ownerAgent.agent.post(`/b/${doomed.id}/settings/deletion`).type('form').send({ _csrf: ownerAgent.csrf, confirm_name: 'Doomed' });
    assert.equal(typo.status, 422);
    assert.match(typo.text, /not the name of this business/);
    const done = await ownerAgent.agent.post(`/b/${doomed.id}/settings/deletion`).type('form').send({ _csrf: ownerAgent.csrf, confirm_name: 'Doomed Co' });
    assert.equal(done.status, 303);
    assert.equal(await ctx.db('businesses').where({ id: doomed.id }).first(), undefined);
    assert.equal((await ctx.db('categories').where({ business_id: doomed.id })).length, 0);
  });
});
