import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appWithOwner, insertBusiness, insertLedgerRows, insertUser, signedInMember, signIn } from './helpers.ts';

describe('the trash of deleted expenses', () => {
  const f = appWithOwner();
  const trash = (agent = f.owner.agent) => agent.get(`/b/${f.businessId}/deleted-expenses`);
  const rowsOf = (businessId: string, ...descriptions: string[]) => Promise.all(descriptions.map((d) => f.ctx.db('transactions').where({ business_id: businessId, description: d }).first('id')));

  test('a deleted expense is found in the trash after a reload, and restoring it is audited', async () => {
    await insertLedgerRows(f.ctx.db, f.businessId, [
      { description: 'Printer paper', amount: -1250 },
      { description: 'Team lunch at Rosa', amount: -8800, counterparty: 'Rosa' },
    ]);
    const [gone] = await rowsOf(f.businessId, 'Team lunch at Rosa');
    assert.match((await trash()).text, /Nothing deleted/);
    const del = await f.owner.agent.post(`/b/${f.businessId}/expenses/${gone.id}/deletion`).type('form').send({ _csrf: f.owner.csrf });
    assert.equal(del.status, 303);
    const page = await trash();
    assert.equal(page.status, 200);
    assert.match(page.text, new RegExp(`id="deleted-${gone.id}"[\\s\\S]*Team lunch at Rosa`));
    assert.match(page.text, /\$88\.00/);
    assert.doesNotMatch(page.text, /Printer paper/, 'only deleted rows');
    const restored = await f.owner.agent.post(`/b/${f.businessId}/expenses/${gone.id}/restoration`).type('form').send({ _csrf: f.owner.csrf });
    assert.equal(restored.status, 303);
    assert.ok(await f.ctx.db('transactions').where({ id: gone.id, business_id: f.businessId }).first());
    const last = await f.ctx.db('ledger_audit').where({ transaction_id: gone.id }).orderBy('id', 'desc').first('action', 'actor_id');
    assert.deepEqual(last, { action: 'restore', actor_id: f.user.id });
    const after = (await trash()).text;
    assert.match(after, /Restored “Team lunch at Rosa”/, 'the flash says so');
    assert.doesNotMatch(after, new RegExp(`id="deleted-${gone.id}"`), 'a restored expense leaves the trash');
  });

  test('a viewer sees the trash without a restore button and cannot restore; a stranger is refused and learns nothing', async () => {
    await insertLedgerRows(f.ctx.db, f.businessId, [{ description: 'Old domain renewal', amount: -1500 }]);
    const [row] = await rowsOf(f.businessId, 'Old domain renewal');
    await f.owner.agent.post(`/b/${f.businessId}/expenses/${row.id}/deletion`).type('form').send({ _csrf: f.owner.csrf });
    const viewer = await signedInMember(f.ctx, f.businessId, 'viewer');
    const seen = await trash(viewer.agent);
    assert.equal(seen.status, 200);
    assert.match(seen.text, /Old domain renewal/);
    assert.doesNotMatch(seen.text, /restoration/);
    assert.equal((await viewer.agent.post(`/b/${f.businessId}/expenses/${row.id}/restoration`).type('form').send({ _csrf: viewer.csrf })).status, 403);
    const other = await insertUser(f.ctx.db);
    await insertBusiness(f.ctx.db, other.id);
    const stranger = await signIn(f.ctx.app, other.email, other.password);
    const refused = await trash(stranger.agent);
    assert.equal(refused.status, 403);
    assert.doesNotMatch(refused.text, /Old domain renewal/);
    assert.equal((await f.owner.agent.get(`/b/${f.businessId}/deleted-expenses?before=abc`)).status, 422);
  });

  test("another business's deletions never show in this trash", async () => {
    const theirs = await insertBusiness(f.ctx.db, f.user.id);
    await insertLedgerRows(f.ctx.db, theirs.id, [{ description: 'Their secret invoice', amount: -500 }]);
    const [row] = await rowsOf(theirs.id, 'Their secret invoice');
    await f.owner.agent.post(`/b/${theirs.id}/expenses/${row.id}/deletion`).type('form').send({ _csrf: f.owner.csrf });
    assert.match((await f.owner.agent.get(`/b/${theirs.id}/deleted-expenses`)).text, /Their secret invoice/);
    assert.doesNotMatch((await trash()).text, /Their secret invoice/);
  });
});
