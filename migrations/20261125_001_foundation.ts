import type { Knex } from 'knex';

export const LEDGER_KINDS = ['sale', 'refund', 'fee', 'chargeback', 'payout', 'ad_spend', 'cogs', 'expense', 'other_income', 'transfer'] as const;

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.text('email').notNullable();
    t.text('name').notNullable();
    t.text('password_hash');
    t.timestamp('email_verified_at', { useTz: true });
    t.timestamps(true, true, false);
  });
  await db.raw('create unique index users_email_lower on users (lower(email))');

  // The session store's table (connect-session-knex), created here so both backends match.
  await db.schema.createTable('sessions', (t) => {
    t.string('sid').primary();
    t.json('sess').notNullable();
    t.timestamp('expired', { useTz: true }).notNullable().index();
  });

  await db.schema.createTable('businesses', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.text('name').notNullable();
    t.text('legal_entity');
    t.text('industry');
    t.specificType('currency', 'char(3)').notNullable();
    t.bigint('revenue_estimate');
    t.date('founded_on');
    t.boolean('is_demo').notNullable().defaultTo(false);
    t.timestamps(true, true, false);
  });

  await db.schema.createTable('memberships', (t) => {
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('role').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.primary(['business_id', 'user_id']);
    t.index(['user_id']);
  });
  await db.raw(`alter table memberships add constraint memberships_role check (role in ('owner','admin','member','viewer'))`);

  await db.schema.createTable('categories', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('icon').notNullable().defaultTo('tag');
    t.text('kind').notNullable().defaultTo('expense');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.unique(['business_id', 'name']);
  });
  await db.raw(`alter table categories add constraint categories_kind check (kind in ('expense','income'))`);

  await db.schema.createTable('products', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.text('sku').notNullable();
    t.text('name').notNullable();
    t.bigint('price').notNullable().defaultTo(0);
    t.bigint('unit_cost').notNullable().defaultTo(0);
    t.specificType('currency', 'char(3)').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.unique(['business_id', 'sku']);
  });

  await db.schema.createTable('ad_campaigns', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.text('platform').notNullable();
    t.text('external_id').notNullable();
    t.text('name').notNullable();
    t.text('status').notNullable().defaultTo('active');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.unique(['business_id', 'platform', 'external_id']);
  });
  await db.raw(`alter table ad_campaigns add constraint ad_campaigns_platform check (platform in ('meta','google'))`);

  await db.schema.createTable('ad_campaign_stats', (t) => {
    t.uuid('campaign_id').notNullable().references('ad_campaigns.id').onDelete('CASCADE');
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.date('day').notNullable();
    t.bigint('spend').notNullable().defaultTo(0);
    t.integer('impressions').notNullable().defaultTo(0);
    t.integer('clicks').notNullable().defaultTo(0);
    t.integer('conversions').notNullable().defaultTo(0);
    t.bigint('revenue').notNullable().defaultTo(0);
    t.specificType('currency', 'char(3)').notNullable();
    t.primary(['campaign_id', 'day']);
    t.index(['business_id', 'day']);
  });

  // The ledger: every money movement of a business, signed from the business's side
  // (money in is positive), in minor units of its own currency and of the base currency.
  await db.schema.createTable('transactions', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.bigint('amount').notNullable();
    t.specificType('currency', 'char(3)').notNullable();
    t.bigint('amount_base').notNullable();
    t.date('occurred_on').notNullable();
    t.text('description').notNullable().defaultTo('');
    t.text('counterparty');
    t.uuid('category_id').references('categories.id').onDelete('SET NULL');
    t.uuid('product_id').references('products.id').onDelete('SET NULL');
    t.uuid('campaign_id').references('ad_campaigns.id').onDelete('SET NULL');
    t.integer('quantity');
    t.text('source').notNullable().defaultTo('manual');
    t.text('external_id');
    t.uuid('created_by').references('users.id').onDelete('SET NULL');
    t.timestamps(true, true, false);
    t.unique(['business_id', 'source', 'external_id']);
  });
  await db.raw(`alter table transactions add constraint transactions_kind check (kind in (${LEDGER_KINDS.map((k) => `'${k}'`).join(',')}))`);
  await db.raw('create index transactions_business_day on transactions (business_id, occurred_on desc, id desc)');
  await db.raw('create index transactions_business_kind_day on transactions (business_id, kind, occurred_on)');

  // Rates are market data, shared by every business: quote units per one base unit.
  await db.schema.createTable('exchange_rates', (t) => {
    t.specificType('base', 'char(3)').notNullable();
    t.specificType('quote', 'char(3)').notNullable();
    t.date('day').notNullable();
    t.decimal('rate', 20, 10).notNullable();
    t.text('source').notNullable().defaultTo('manual');
    t.primary(['base', 'quote', 'day']);
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of ['exchange_rates', 'transactions', 'ad_campaign_stats', 'ad_campaigns', 'products', 'categories', 'memberships', 'businesses', 'sessions', 'users']) {
    await db.schema.dropTableIfExists(table);
  }
}
