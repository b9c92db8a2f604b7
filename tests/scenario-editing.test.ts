import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as scenarios from '../services/reports/scenarios.ts';
import { appWithOwner, insertBusiness, insertUser, signedInMember, signIn } from './helpers.ts';

describe('editing a scenario', () => {
  const f = appWithOwner();
  const base = {
    revenue_growth: 0.2,
    ad_spend_change: 0,
    price_change: 0.05,
    hire_monthly_cost: 600_000,
    hire_from: '2027-01-01',
    loan_amount: 0,
    loan_on: null,
    loan_monthly_repayment: 0,
    loan_months: 0,
  };

  test('the form shows the saved levers and saving changes the scenario in place', async () => {
    const s = await scenarios.create(f.ctx.db, f.businessId, f.user.id, { name: 'Hire', ...base });
    const page = await f.owner.agent.get(`/b/${f.businessId}/scenarios/${s.id}/edit`);
    assert.equal(page.status, 200);
    assert.match(page.text, /id="s-revenue_growth" name="revenue_growth" type="number" step="any" value="20"/);
    assert.match(page.text, /id="s-hire_monthly_cost" name="hire_monthly_cost" type="text"\s+value="6000.00"/);
    const res = await f.owner.agent.post(`/b/${f.businessId}/scenarios/${s.id}`).type('form').send({
      _csrf: f.owner.csrf,
      name: 'Hire later',
      revenue_growth: '10',
      price_change: '5',
      ad_spend_change: '',
      hire_monthly_cost: '6,500.00',
      hire_from: '2027-03-01',
      loan_amount: '',
      loan_on: '',
      loan_monthly_repayment: '',
      loan_months: '',
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/b/${f.businessId}/scenarios/${s.id}`);
    const saved = await scenarios.get(f.ctx.db, f.businessId, s.id);
    assert.deepEqual([saved.name, saved.revenue_growth, Number(saved.hire_monthly_cost), saved.hire_from], ['Hire later', 0.1, 650_000, '2027-03-01']);
    assert.equal((await scenarios.list(f.ctx.db, f.businessId)).length, 1, 'edited, not copied');
  });

  test('a bad edit answers 422 with the field message and changes nothing', async () => {
    const [s] = await scenarios.list(f.ctx.db, f.businessId);
    const res = await f.owner.agent.post(`/b/${f.businessId}/scenarios/${s.id}`).type('form').send({ _csrf: f.owner.csrf, name: 'x', revenue_growth: '5000', hire_monthly_cost: '100', hire_from: '' });
    assert.equal(res.status, 422);
    assert.match(res.text, /At most \+1000 %/);
    assert.match(res.text, /Say from when the hire is paid/);
    assert.equal((await scenarios.get(f.ctx.db, f.businessId, s.id)).name, 'Hire later');
  });

  test('a viewer cannot edit; a stranger is refused and learns nothing', async () => {
    const [s] = await scenarios.list(f.ctx.db, f.businessId);
    const viewer = await signedInMember(f.ctx, f.businessId, 'viewer');
    const other = await insertUser(f.ctx.db);
    await insertBusiness(f.ctx.db, other.id);
    const stranger = await signIn(f.ctx.app, other.email, other.password);
    for (const who of [viewer, stranger]) {
      assert.equal((await who.agent.get(`/b/${f.businessId}/scenarios/${s.id}/edit`)).status, 403);
      const res = await who.agent.post(`/b/${f.businessId}/scenarios/${s.id}`).type('form').send({ _csrf: who.csrf, name: 'Mine now' });
      assert.equal(res.status, 403);
      assert.doesNotMatch(res.text, /Hire later/);
    }
    assert.equal((await scenarios.get(f.ctx.db, f.businessId, s.id)).name, 'Hire later');
  });
});
