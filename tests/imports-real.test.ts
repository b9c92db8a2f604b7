import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestApp, insertBusiness, insertUser, signIn, type TestContext } from './helpers.ts';

const REAL = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'imports', 'real');

type Layout = {
  file: string;
  /** The currency the rows land in: the file's own when it says (a column, the amount, the header), else the business's (EUR here). */
  currency: string;
  /** The sum of the rows' amounts, minor units of that currency. */
  total: number;
  /** The start of the description of the file's first transaction. */
  first: string;
  /** Every transaction the file holds, in file order: [day, signed minor units]. */
  rows: [string, number][];
};

/**
 * Real exports (see fixtures/imports/real/README.md) and what each holds, read off the
 * files by hand: the opening and closing balance lines, summary footers and zero-amount
 * notices are not transactions; an S/H column signs the amount beside it; PayPal's net
 * (after fees) is what moved.
 */
const LAYOUTS: Layout[] = [
  {
    file: 'at-ing-giro.csv',
    currency: 'EUR',
    total: 10000,
    first: 'Outflow from Max Mustermann',
    rows: [
      ['2019-12-01', -10001],
      ['2019-12-02', 20001],
    ],
  },
  { file: 'be-kbc.csv', currency: 'EUR', total: -340, first: 'BIJDRAGE 01-02-2018 - 28-02-2018 28-02 K', rows: [['2018-02-28', -340]] },
  { file: 'cz-fio.csv', currency: 'CZK', total: -100, first: 'Memo for me test', rows: [['2018-05-27', -100]] },
  {
    file: 'de-1822direkt.csv',
    currency: 'EUR',
    total: -4231,
    first: 'PP.1494.PP . DOMINOSPIZZ, Ihr Einka',
    rows: [
      ['2020-03-25', -1999],
      ['2020-03-23', -237],
      ['2020-03-23', -1995],
    ],
  },
  {
    file: 'de-comdirect.csv',
    currency: 'EUR',
    total: 5,
    first: 'Buchungstext: Test Ref. 000000000/0',
    rows: [
      ['2019-04-01', -5997],
      ['2019-04-01', -11998],
      ['2019-04-01', 18000],
    ],
  },
  {
    file: 'de-commerzbank.csv',
    currency: 'EUR',
    total: -7374,
    first: 'Kontoführung Konto 123456700 EUR BLZ 500',
    rows: [
      ['2024-12-31', -1070],
      ['2025-01-21', -1234],
      ['2025-04-30', -1070],
      ['2025-05-02', -1000],
      ['2025-05-15', -3000],
    ],
  },
  {
    file: 'de-dkb.csv',
    currency: 'EUR',
    total: 5043,
    first: 'Nebenkosten',
    rows: [
      ['2025-12-08', 20000],
      ['2025-12-05', -6230],
      ['2025-12-01', 15000],
      ['2025-12-01', 7500],
      ['2025-12-01', -4800],
      ['2025-12-01', -20700],
      ['2025-11-28', -2999],
      ['2025-11-28', -2728],
    ],
  },
  {
    file: 'de-ing.csv',
    currency: 'EUR',
    total: -52100,
    first: 'eprimo sagt danke',
    rows: [
      ['2019-04-03', -7100],
      ['2019-04-03', -7000],
      ['2019-03-26', -67000],
      ['2019-03-26', 29000],
    ],
  },
  {
    file: 'de-n26.csv',
    currency: 'EUR',
    total: -18300,
    first: 'Netflix',
    rows: [
      ['2019-01-01', -300],
      ['2019-01-02', -100],
      ['2019-01-02', 100],
      ['2019-01-02', -18000],
    ],
  },
  {
    file: 'de-sparkasse-camt.csv',
    currency: 'EUR',
    total: -92127,
    first: 'Online-Shop Bestellung',
    rows: [
      ['2025-12-05', -9980],
      ['2025-12-05', -114341],
      ['2025-12-05', -1057],
      ['2025-12-05', -595],
      ['2025-12-05', -1285],
      ['2025-12-04', -2999],
      ['2025-12-03', 6750],
      ['2025-12-03', 11900],
      ['2025-12-03', 15890],
      ['2025-12-03', 3590],
    ],
  },
  {
    file: 'de-volksbank.csv',
    currency: 'EUR',
    total: -15817,
    first: 'ÜBERWEISUNG Quartalsbeitrag Gartenbauver',
    rows: [
      ['2019-04-03', -1200],
      ['2019-04-03', 11200],
      ['2019-04-03', -25817],
    ],
  },
  {
    file: 'de-vr-bank.csv',
    currency: 'EUR',
    total: -34191,
    first: 'Rate',
    rows: [
      ['2025-12-01', 17500],
      ['2025-12-01', -45311],
      ['2025-12-01', -3990],
      ['2025-11-28', -600],
      ['2025-11-27', -1790],
    ],
  },
  {
    file: 'nl-bunq-en.csv',
    currency: 'EUR',
    total: -2382,
    first: 'CLOUDFLARE 650-3198939, US 9.95 USD, 1 U',
    rows: [
      ['2018-12-06', -878],
      ['2018-12-07', -708],
      ['2018-12-06', 878],
      ['2018-12-06', -876],
      ['2018-12-07', 708],
      ['2018-12-07', -707],
      ['2018-12-17', -799],
    ],
  },
  {
    file: 'nl-bunq-nl.csv',
    currency: 'EUR',
    total: 72854,
    first: 'invoice 410408',
    rows: [
      ['2018-03-01', -256],
      ['2018-03-09', 75000],
      ['2018-03-09', -1890],
    ],
  },
  {
    file: 'paypal-de-activity.csv',
    currency: 'EUR',
    total: -2477,
    first: 'Überweisung als Zahlungsquelle',
    rows: [
      ['2025-06-18', 10000],
      ['2025-06-21', -619],
      ['2025-06-27', -2993],
      ['2025-07-14', -1321],
      ['2025-07-14', -1321],
      ['2025-07-14', 1321],
      ['2025-07-19', -3449],
      ['2025-08-12', -1250],
      ['2025-08-12', -1250],
      ['2025-08-12', 1250],
      ['2025-11-14', -2845],
    ],
  },
  {
    file: 'pl-mbank.csv',
    currency: 'PLN',
    total: 197000,
    first: 'OUTCOME',
    rows: [
      ['2019-10-09', -3000],
      ['2019-09-25', 200000],
    ],
  },
  {
    file: 'se-sparbanken-tanum.csv',
    currency: 'SEK',
    total: -813886,
    first: 'Swish',
    rows: [
      ['2019-10-14', -12000],
      ['2019-10-14', -1100],
      ['2019-10-11', -6195],
      ['2019-10-10', -11900],
      ['2019-10-10', -60000],
      ['2019-10-10', -16000],
      ['2019-10-10', -31900],
      ['2019-10-10', 29000],
      ['2019-10-09', -2000],
      ['2019-10-09', -60000],
      ['2019-10-09', -7900],
      ['2019-10-09', -60000],
      ['2019-10-09', -30000],
      ['2019-10-08', -7900],
      ['2019-10-07', -2500],
      ['2019-10-07', -19800],
      ['2019-10-07', -32220],
      ['2019-10-07', -29500],
      ['2019-10-07', -205000],
      ['2019-10-07', -2000],
      ['2019-10-07', -40000],
      ['2019-10-07', -9900],
      ['2019-10-07', -1600],
      ['2019-10-07', -23000],
      ['2019-10-07', -30000],
      ['2019-10-07', -1100],
      ['2019-10-02', -127571],
      ['2019-10-01', -11800],
    ],
  },
  {
    file: 'uk-marcus.csv',
    currency: 'EUR',
    total: 156568,
    first: 'Interest applied',
    rows: [
      ['2019-06-01', 141],
      ['2019-05-24', 58847],
      ['2019-05-05', 47580],
      ['2019-05-01', 50000],
    ],
  },
  { file: 'uk-monzo.csv', currency: 'GBP', total: -1000, first: 'Tesco', rows: [['2018-02-25', -1000]] },
  {
    file: 'us-chase-card.csv',
    currency: 'EUR',
    total: -2800,
    first: 'IMPARK00740010A',
    rows: [
      ['2013-10-17', -150],
      ['2013-10-17', -2650],
    ],
  },
  {
    file: 'us-provident-checking.csv',
    currency: 'EUR',
    total: -170616,
    first: 'BACI CAFE & WINE B HEALDSBURG CAUS',
    rows: [
      ['2012-07-02', -5200],
      ['2012-07-03', -135000],
      ['2013-10-09', -1416],
      ['2013-12-03', -13000],
      ['2013-12-03', -16000],
    ],
  },
  {
    file: 'ynab-register.csv',
    currency: 'EUR',
    total: 5395,
    first: 'Chicken a la king ingredients',
    rows: [
      ['2017-08-01', -2105],
      ['2017-08-01', 7500],
    ],
  },
];

describe('real-world exports import with no mapping given', () => {
  let ctx: TestContext;
  let businessId: string;
  let owner: Awaited<ReturnType<typeof signIn>>;

  before(async () => {
    ctx = await createTestApp();
    const user = await insertUser(ctx.db);
    businessId = (await insertBusiness(ctx.db, user.id, { currency: 'EUR' })).id;
    owner = await signIn(ctx.app, user.email, user.password);
    for (const [base, rate] of [
      ['GBP', '1.15'],
      ['CZK', '0.04'],
      ['SEK', '0.09'],
      ['PLN', '0.23'],
    ])
      await ctx.db('exchange_rates').insert({ base, quote: 'EUR', day: '2010-01-01', rate });
  });
  after(() => ctx.close());

  test('at least fifteen layouts from banks in several countries, card issuers, a payment processor and a budgeting app', () => {
    assert.ok(LAYOUTS.length >= 15);
  });

  for (const layout of LAYOUTS) {
    test(`${layout.file}: every row lands with its day, signed amount and currency, and the total is right`, async () => {
      const res = await owner.agent
        .post('/api/v1/imports')
        .set('X-CSRF-Token', owner.csrf)
        .field('business_id', businessId)
        .attach('file', readFileSync(path.join(REAL, layout.file)), layout.file);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(res.body.failed, []);
      assert.equal(res.body.imported, layout.rows.length);
      const landed: { occurred_on: string; amount: number; currency: string; description: string }[] = await ctx
        .db('transactions')
        .where({ business_id: businessId, import_batch_id: res.body.batch_id })
        .select('occurred_on', 'amount', 'currency', 'description');
      const key = (day: string, amount: number, currency: string) => `${day} ${amount} ${currency}`;
      assert.deepEqual(landed.map((r) => key(r.occurred_on, Number(r.amount), r.currency)).sort(), layout.rows.map(([day, amount]) => key(day, amount, layout.currency)).sort());
      assert.equal(
        landed.reduce((sum, r) => sum + Number(r.amount), 0),
        layout.total,
      );
      assert.ok(
        landed.some((r) => r.description.startsWith(layout.first)),
        `no row described “${layout.first}”: ${landed.map((r) => r.description).join(' | ')}`,
      );
    });
  }
});
