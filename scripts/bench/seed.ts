import type { Db } from '../../services/core/db.ts';
import * as users from '../../services/access/users.ts';
import * as businesses from '../../services/access/businesses.ts';
import { addDays } from '../../services/core/clock.ts';

/**
 * A business with `rows` ledger rows over three years, generated in one set-based
 * INSERT … SELECT from generate_series (the aggregate triggers see it as one statement,
 * like an import), plus products, campaigns and their daily stats.
 */
export async function seedBench(db: Db, rows: number, today: string) {
  const password = 'bench-password-123';
  const user = await users.createUser(db, { email: `bench-${Date.now()}@example.com`, name: 'Bench', password });
  const biz = await businesses.create(db, user.id, { name: 'Bench Co', legal_entity: null, industry: 'E-commerce', currency: 'USD', revenue_estimate: null, founded_on: null });
  const days = 1095;
  const start = addDays(today, -(days - 1));
  const products = await db('products')
    .insert([...Array(20)].map((_, i) => ({ business_id: biz.id, sku: `SKU-${i}`, name: `Product ${i}`, price: 1000 + i * 500, unit_cost: 400 + i * 200, currency: 'USD' })))
    .returning('id');
  const cats = await db('categories').where('business_id', biz.id).select('id', 'name');
  const cat = (n: string) => cats.find((c: { name: string }) => c.name === n)!.id;
  const started = Date.now();
  await db.raw(
    `insert into transactions (business_id, kind, amount, currency, amount_base, occurred_on, description, counterparty, category_id, product_id, quantity, source, external_id)
     select :biz, v.kind, v.amount, 'USD', v.amount, cast(:start as date) + (g % :days)::int, 'Bench row ' || g, v.counterparty, v.category_id, v.product_id, v.quantity, 'bench', 'b' || g
     from generate_series(1::bigint, :rows) g
     cross join lateral (
       select
         case when g % 20 < 11 then 'sale' when g % 20 < 14 then 'fee' when g % 20 = 14 then 'refund' when g % 20 < 17 then 'cogs'
              when g % 20 = 17 then 'ad_spend' when g % 20 = 18 then 'expense' else case when g % 40 = 19 then 'payout' else 'chargeback' end end as kind,
         (case when g % 20 < 11 then 1000 + (g * 7919) % 19000 when g % 20 < 14 then -(30 + (g * 31) % 500) when g % 20 = 14 then -(1000 + (g * 13) % 9000)
              when g % 20 < 17 then -(400 + (g * 17) % 6000) when g % 20 = 17 then -(500 + (g * 11) % 5000) when g % 20 = 18 then -(1000 + (g * 23) % 30000)
              else case when g % 40 = 19 then 50000 else -(1000 + (g * 19) % 9000) end end)::bigint as amount,
         case when g % 20 = 18 then (array['Landlord','Payroll Co','Utility Co','SaaS Inc','Supplier'])[1 + g % 5] else null end as counterparty,
         case when g % 20 = 18 then (array[cast(:rent as uuid), cast(:payroll as uuid), cast(:utilities as uuid), cast(:software as uuid), cast(:shipping as uuid)])[1 + g % 5]
              when g % 20 < 11 then cast(:sales as uuid) else null end as category_id,
         case when g % 20 < 11 or g % 20 = 14 or g % 20 in (15, 16) then (array[${products.map((p: { id: string }) => `'${p.id}'::uuid`).join(',')}])[1 + g % 20] else null end as product_id,
         case when g % 20 < 11 then 1 + g % 3 else null end as quantity
     ) v`,
    { biz: biz.id, start, days, rows, rent: cat('Rent'), payroll: cat('Payroll'), utilities: cat('Utilities'), software: cat('Software'), shipping: cat('Shipping'), sales: cat('Sales') },
  );
  await db('transactions').insert({
    business_id: biz.id,
    kind: 'transfer',
    amount: 50_000_000,
    currency: 'USD',
    amount_base: 50_000_000,
    occurred_on: start,
    description: 'Opening balance',
    source: 'bench',
    external_id: 'opening',
  });
  const insertMs = Date.now() - started;
  const campaigns = await db('ad_campaigns')
    .insert([...Array(5)].map((_, i) => ({ business_id: biz.id, platform: i % 2 ? 'meta' : 'google', external_id: `c${i}`, name: `Campaign ${i}` })))
    .returning('id');
  for (const [i, c] of campaigns.entries()) {
    await db.raw(
      `insert into ad_campaign_stats (campaign_id, business_id, day, spend, clicks, conversions, revenue, currency)
       select ?, ?, ?::date + d, 5000, 100, 5, (5000 * ?::numeric)::bigint, 'USD' from generate_series(0, ?) d`,
      [c.id, biz.id, start, [0.6, 2, 3, 4, 5][i], days - 1],
    );
  }
  await db.raw('analyze');
  return { businessId: biz.id, email: user.email, password, insertMs };
}
