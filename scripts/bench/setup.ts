import knexFactory from 'knex';
import type { Db } from '../../services/core/db.ts';
import { migrateLatest } from '../../services/core/db.ts';
import * as users from '../../services/access/users.ts';
import * as businesses from '../../services/access/businesses.ts';

/**
 * A benchmark database on real PostgreSQL (DATABASE_URL), migrated, with one user and
 * one business holding `rows` ledger rows spread over three years, mostly expenses.
 */
export async function benchDb(): Promise<Db> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('Set DATABASE_URL to a PostgreSQL database made for the benchmark (it is filled with rows).');
  const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 12 } });
  await migrateLatest(db);
  return db;
}

export async function benchBusiness(db: Db, rows: number): Promise<{ businessId: string; userId: string; email: string; password: string }> {
  const email = `bench-${Date.now()}@example.com`;
  const password = 'benchmark password';
  const user = await users.createUser(db, { email, name: 'Bench', password });
  const business = await businesses.create(db, user.id, { name: 'Bench Co', legal_entity: null, industry: null, currency: 'USD', revenue_estimate: null, founded_on: null });
  // Generated in SQL: a million rows through the client would measure the client.
  await db.raw(
    `insert into transactions (business_id, kind, amount, currency, amount_base, occurred_on, description, counterparty, category_id, source, external_id)
     select ?, case when g % 5 = 0 then 'sale' else 'expense' end,
       case when g % 5 = 0 then 1 else -1 end * (100 + (g::bigint * 7919) % 50000), 'USD',
       case when g % 5 = 0 then 1 else -1 end * (100 + (g::bigint * 7919) % 50000),
       date '2026-11-25' - (g % 1095), 'Bench row ' || (g % 997), 'Vendor ' || (g % 211),
       (array(select id from categories c where c.business_id = ? order by name))[1 + g % 16], 'bench', 'b' || g
     from generate_series(1, ?) g`,
    [business.id, business.id, rows],
  );
  await db.raw('analyze transactions');
  return { businessId: business.id, userId: user.id, email, password };
}
