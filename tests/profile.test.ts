import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, insertUser, signIn, type TestContext } from './helpers.ts';

describe('profile page', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestApp();
  });
  after(() => ctx.close());

  test('I change my name; an empty name is refused in place', async () => {
    const user = await insertUser(ctx.db, { name: 'Old Name' });
    const me = await signIn(ctx.app, user.email, user.password);
    const page = await me.agent.get('/account/profile');
    assert.equal(page.status, 200);
    assert.match(page.text, /value="Old Name"/);
    assert.match(page.text, /No Google account connected/);
    const empty = await me.agent.post('/account/profile').set('HX-Request', 'true').type('form').send({ _csrf: me.csrf, name: '  ' });
    assert.equal(empty.status, 422);
    assert.match(empty.text, /^<form id="profile-form"/m);
    assert.match(empty.text, /Enter your name/);
    const ok = await me.agent.post('/account/profile').type('form').send({ _csrf: me.csrf, name: 'New Name' });
    assert.equal(ok.status, 303);
    assert.match((await me.agent.get('/account/profile')).text, /New Name/);
  });

  test('changing the password needs the current one, and signs out my other sessions', async () => {
    const user = await insertUser(ctx.db);
    const here = await signIn(ctx.app, user.email, user.password);
    const elsewhere = await signIn(ctx.app, user.email, user.password);
    const wrong = await here.agent.post('/account/password').type('form').send({ _csrf: here.csrf, current_password: 'not it', new_password: 'a fresh long password' });
    assert.equal(wrong.status, 422);
    assert.match(wrong.text, /not your current password/);
    const ok = await here.agent.post('/account/password').type('form').send({ _csrf: here.csrf, current_password: user.password, new_password: 'a fresh long password' });
    assert.equal(ok.status, 303);
    assert.equal((await here.agent.get('/businesses')).status, 200, 'this session stays');
    assert.equal((await elsewhere.agent.get('/businesses')).status, 302, 'the other one is signed out');
    await assert.rejects(signIn(ctx.app, user.email, user.password));
    await signIn(ctx.app, user.email, 'a fresh long password');
  });

  test('a connected Google account is shown', async () => {
    const user = await insertUser(ctx.db);
    await ctx.db('users').where({ id: user.id }).update({ google_sub: '99', google_email: 'me@gmail.com' });
    const me = await signIn(ctx.app, user.email, user.password);
    assert.match((await me.agent.get('/account/profile')).text, /Connected to the Google account me@gmail.com/);
  });
});
