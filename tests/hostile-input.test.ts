import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { appWithOwner, insertLedgerRows, signedInOwner } from './helpers.ts';

/** Answers within `ms`, or fails: a request that loops must not hang the suite. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

describe('dates no calendar has, or none a business needs', () => {
  const fixture = appWithOwner();
  let token: string;
  before(async () => {
    await insertLedgerRows(fixture.ctx.db, fixture.businessId, [{ kind: 'sale', amount: 5000, amount_base: 5000 }]);
    const login = await request(fixture.ctx.app).post('/api/v1/auth/login').send({ email: fixture.user.email, password: fixture.user.password });
    token = login.body.token;
  });

  const FAR = [
    ['9999-12-01', '9999-12-31'],
    ['2025-02-30', '2025-03-01'],
    ['0000-00-00', '2026-01-01'],
    ['1899-12-31', '2026-01-01'],
  ];

  test('report pages fall back to their default range instead of looping or failing', async () => {
    for (const [from, to] of FAR) {
      for (const page of ['', '/pnl', '/metrics']) {
        const url = `/b/${fixture.businessId}${page}?preset=custom&from=${from}&to=${to}`;
        const res = await within(2000, url, fixture.owner.agent.get(url));
        assert.equal(res.status, 200, url);
        assert.doesNotMatch(res.text, /\+0\d{5}|9999-12/, `${url} shows no far-off date`);
      }
    }
  });

  test('the JSON API answers 422 naming the field, or its default range', async () => {
    for (const [from, to] of FAR) {
      const pnl = await within(2000, 'pnl', request(fixture.ctx.app).get(`/api/v1/pnl?business_id=${fixture.businessId}&start_date=${from}&end_date=${to}`).set('Authorization', `Bearer ${token}`));
      assert.equal(pnl.status, 422, `pnl ${from}`);
      assert.ok(pnl.body.error.details.start_date || pnl.body.error.details.end_date);
      const stats = await within(
        2000,
        'stats',
        request(fixture.ctx.app).get(`/api/v1/dashboard/stats?business_id=${fixture.businessId}&preset=custom&from=${from}&to=${to}`).set('Authorization', `Bearer ${token}`),
      );
      assert.equal(stats.status, 200, `stats ${from}`);
      assert.notEqual(stats.body.start_date, from);
      const list = await within(2000, 'expenses', request(fixture.ctx.app).get(`/api/v1/expenses?business_id=${fixture.businessId}&start_date=${from}`).set('Authorization', `Bearer ${token}`));
      assert.equal(list.status, 422, `expenses ${from}`);
    }
  });

  test('an expense dated on a day that does not exist is refused with a field message', async () => {
    const res = await request(fixture.ctx.app)
      .post('/api/v1/expenses')
      .set('Authorization', `Bearer ${token}`)
      .send({ business_id: fixture.businessId, amount: 1200, description: 'Paper', spent_on: '2025-02-30' });
    assert.equal(res.status, 422);
    assert.match(res.body.error.details.spent_on[0], /does not exist/);
  });
});

describe('text no person types', () => {
  const fixture = appWithOwner();

  test('a NUL byte in a form, a query or a JSON body is a 422 naming the field, and the server stays well', async () => {
    const form = await fixture.owner.agent
      .post(`/b/${fixture.businessId}/expenses`)
      .type('form')
      .send({ _csrf: fixture.owner.csrf, occurred_on: '2026-11-20', description: 'Paper\u0000clips', amount: '12.00' });
    assert.equal(form.status, 422);
    const query = await fixture.owner.agent.get(`/b/${fixture.businessId}/expenses?q=a%00b`);
    assert.equal(query.status, 422);
    const login = await request(fixture.ctx.app).post('/api/v1/auth/login').send({ email: `x\u0000@example.com`, password: 'whatever it is' });
    assert.equal(login.status, 422);
    assert.ok(login.body.error.details.email);
    const chat = await fixture.owner.agent.post(`/b/${fixture.businessId}/chat`).set('X-CSRF-Token', fixture.owner.csrf).type('form').send({ message: 'how much\u0007?' });
    assert.equal(chat.status, 422);
    assert.equal((await request(fixture.ctx.app).get('/health')).status, 200);
    assert.equal(
      await fixture.ctx
        .db('transactions')
        .where({ business_id: fixture.businessId })
        .count({ n: '*' })
        .first()
        .then((r) => Number(r?.n)),
      0,
    );
  });

  test('an amount with commas in the wrong places is refused, not read as a bigger number', async () => {
    const res = await fixture.owner.agent.post(`/b/${fixture.businessId}/expenses`).type('form').send({ _csrf: fixture.owner.csrf, occurred_on: '2026-11-20', description: 'Paper', amount: '1,2,3' });
    assert.equal(res.status, 422);
    assert.match(res.text, /Enter an amount such as 12\.50/);
  });
});

describe('rules PostgreSQL cannot run', () => {
  const fixture = appWithOwner();

  test('a pattern PostgreSQL cannot compile is refused at save and preview with a message, never SQL', async () => {
    for (const pattern of ['\\p{L}+', '(?<shop>amazon)']) {
      const saved = await fixture.owner.agent.post(`/b/${fixture.businessId}/rules`).type('form').send({ _csrf: fixture.owner.csrf, field: 'description', match: 'regex', pattern });
      assert.equal(saved.status, 422, pattern);
      assert.match(saved.text, /This pattern cannot be used/);
      assert.doesNotMatch(saved.text, /select ''|~\* \$1|2201B/i);
      const preview = await fixture.owner.agent.get(`/b/${fixture.businessId}/rule-previews?field=description&match=regex&pattern=${encodeURIComponent(pattern)}`);
      assert.equal(preview.status, 422, pattern);
      assert.doesNotMatch(preview.text, /select '' ~\*/i);
    }
    assert.equal(
      await fixture.ctx
        .db('categorization_rules')
        .where({ business_id: fixture.businessId })
        .count({ n: '*' })
        .first()
        .then((r) => Number(r?.n)),
      0,
    );
  });

  test('a pattern saved before the check does not break applying the other rules', async () => {
    const [category] = await fixture.ctx.db('categories').insert({ business_id: fixture.businessId, name: 'Office', kind: 'expense' }).returning('id');
    await fixture.ctx.db('categorization_rules').insert({ business_id: fixture.businessId, position: 0, field: 'description', match: 'regex', pattern: '\\p{L}', category_id: category.id });
    await fixture.ctx.db('categorization_rules').insert({ business_id: fixture.businessId, position: 1, field: 'description', match: 'contains', pattern: 'paper', category_id: category.id });
    await insertLedgerRows(fixture.ctx.db, fixture.businessId, [{ description: 'Paper for the printer' }]);
    const res = await fixture.owner.agent.post(`/b/${fixture.businessId}/rule-applications`).type('form').send({ _csrf: fixture.owner.csrf });
    assert.equal(res.status, 303);
    const row = await fixture.ctx.db('transactions').where({ business_id: fixture.businessId, description: 'Paper for the printer' }).first('category_id');
    assert.equal(row.category_id, category.id);
  });

  test("deleting another business's rule is a 404, and the rule stays", async () => {
    const other = await signedInOwner(fixture.ctx);
    const [rule] = await fixture.ctx.db('categorization_rules').insert({ business_id: other.businessId, position: 0, field: 'description', match: 'contains', pattern: 'x' }).returning('id');
    const res = await fixture.owner.agent.post(`/b/${fixture.businessId}/rules/${rule.id}/deletion`).type('form').send({ _csrf: fixture.owner.csrf });
    assert.equal(res.status, 404);
    assert.ok(await fixture.ctx.db('categorization_rules').where({ id: rule.id }).first());
  });
});

describe('ids that are not ids', () => {
  const fixture = appWithOwner();

  test('a 36-character id that is no uuid is a 404, never a database error', async () => {
    const fake = '-'.repeat(36);
    const word = 'abcdefghijklmnopqrstuvwxyzabcdefghij';
    for (const id of [fake, word]) {
      for (const path of [`/imports/${id}`, `/recommendations/${id}`, `/expenses/${id}/receipts`]) {
        const res = await fixture.owner.agent.get(`/b/${fixture.businessId}${path}`);
        assert.ok([404, 422].includes(res.status), `${path} answered ${res.status}`);
      }
    }
  });
});

describe('session cookies no browser of ours was given', () => {
  const fixture = appWithOwner();

  /** A cookie signed as express-session signs one (what a leaked or guessed secret allows). */
  const signed = (sid: string) => `bursar.sid=${encodeURIComponent(`s:${sid}.${createHmac('sha256', fixture.ctx.config.sessionSecret).update(sid).digest('base64').replace(/=+$/, '')}`)}`;

  test('a signed session id holding a NUL byte, or a megabyte, is no session and no error', async () => {
    for (const sid of ['abc\u0000def', 'x'.repeat(100_000), "' or 1=1 --"]) {
      const res = await request(fixture.ctx.app).get('/businesses').set('Cookie', signed(sid));
      assert.ok([302, 431].includes(res.status), `answered ${res.status}`);
    }
    assert.equal((await request(fixture.ctx.app).get('/health')).status, 200);
  });
});
