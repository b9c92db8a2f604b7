/**
 * Stripe webhook benchmark on real PostgreSQL, as production runs it: the web app and the
 * `jobs` app as child processes, a local Stripe (the tests' fake) answering the jobs' reads.
 * EVENTS signed `charge.succeeded` events (default 5,000, one per charge) are delivered by
 * CONCURRENCY senders; then every event is delivered again. Prints JSON: events accepted
 * per second (first delivery and the repeats), how long until every event was applied,
 * the delivery-to-ledger time per event (p50/p95/max), and whether each charge landed
 * exactly once (sale + fee rows = 2 × EVENTS, no more after the repeats).
 *   DATABASE_URL=postgres://… tsx scripts/bench/webhooks.ts
 */
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { startFakeStripe } from '../../tests/fakes/stripe.ts';
import { benchBusiness, benchDb } from './setup.ts';
import { percentile, startApp, startChild, stopChildren } from './http.ts';
import * as records from '../../services/integrations/records.ts';
import { testConfig } from '../../services/core/config.ts';

const EVENTS = Number(process.env.EVENTS ?? 5000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const databaseUrl = process.env.DATABASE_URL!;

const db = await benchDb();
const { businessId, userId } = await benchBusiness(db, 0);
const fake = await startFakeStripe();
const account = fake.addAccount({ name: 'Bench Stripe' });
const ENCRYPTION_KEY = randomBytes(32).toString('hex');
const config = { ...testConfig(), encryption: { keys: [ENCRYPTION_KEY], keyFile: null } };
await records.connect(db, config, new Date(), { businessId, provider: 'stripe', accountId: account.account.id, accountName: 'Bench Stripe', secret: { access_token: 'sk_bench' }, userId });

const now = Math.floor(Date.now() / 1000);
const payloads: string[] = [];
for (let i = 0; i < EVENTS; i++) {
  const charge = fake.charge(account, { amount: 1000 + (i % 9000), created: now - (i % 3600), email: `c${i}@example.com` });
  payloads.push(JSON.stringify(fake.event(account, 'charge.succeeded', charge, charge.created)));
}

const env = { ...fake.env(), ENCRYPTION_KEY, JOBS_IN_WEB: 'never', LOG_LEVEL: 'warn' };
const web = await startApp(databaseUrl, env);
const jobs = await startChild(
  ['jobs/index.ts'],
  { ...env, LOG_LEVEL: 'info', DATABASE_URL: databaseUrl, NODE_ENV: 'production', SESSION_SECRET: randomBytes(24).toString('hex'), JWT_SECRET: randomBytes(24).toString('hex') },
  /scheduler started/,
);

/** Delivers every payload once, CONCURRENCY at a time, signing each as Stripe does; events/s and failures. */
async function deliverAll(): Promise<{ seconds: number; per_second: number; failed: number; latency_p95_ms: number }> {
  let next = 0;
  let failed = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    [...Array(CONCURRENCY)].map(async () => {
      while (next < payloads.length) {
        const payload = payloads[next++];
        const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: fake.webhookSecret });
        const t = performance.now();
        const res = await fetch(`${web.base}/api/v1/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload });
        await res.arrayBuffer();
        latencies.push(performance.now() - t);
        if (res.status !== 200) failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { seconds: +seconds.toFixed(2), per_second: Math.round(payloads.length / seconds), failed, latency_p95_ms: +percentile(latencies, 0.95).toFixed(1) };
}

const deliveredAt = Date.now();
const first = await deliverAll();
// Applied: every event marked, by the jobs app.
let appliedMs = 0;
for (;;) {
  const { n } = await db('webhook_events').whereNull('applied_at').first(db.raw('count(*)::int as n'));
  if (n === 0) {
    appliedMs = Date.now() - deliveredAt;
    break;
  }
  await new Promise((r) => setTimeout(r, 100));
}
const repeats = await deliverAll();
for (;;) {
  const { n } = await db('webhook_events').whereNull('applied_at').first(db.raw('count(*)::int as n'));
  if (n === 0) break;
  await new Promise((r) => setTimeout(r, 100));
}

const rows = await db('transactions').where({ business_id: businessId, source: 'stripe' }).select('kind').count({ n: '*' }).groupBy('kind');
const stored = await db('webhook_events').count({ n: '*' }).first();
// Delivery to ledger: from an event's arrival to its sale row's commit.
const lag = await db.raw(
  `select extract(epoch from (t.created_at - e.received_at)) * 1000 as ms
   from webhook_events e join transactions t on t.business_id = ? and t.source = 'stripe' and t.external_id = e.payload->'data'->'object'->>'id'`,
  [businessId],
);
const lags = (lag.rows as { ms: string }[]).map((r) => Number(r.ms)).sort((a, b) => a - b);

await stopChildren([web.child, jobs.child]);
await fake.close();
await db.destroy();

const kinds = Object.fromEntries(rows.map((r: { kind: string; n: string | number }) => [r.kind, Number(r.n)]));
process.stdout.write(
  `${JSON.stringify(
    {
      events: EVENTS,
      concurrency: CONCURRENCY,
      accepted: first,
      repeats_accepted: repeats,
      all_applied_after_s: +(appliedMs / 1000).toFixed(2),
      delivery_to_ledger_ms: { p50: Math.round(percentile(lags, 0.5)), p95: Math.round(percentile(lags, 0.95)), max: Math.round(lags.at(-1) ?? 0) },
      stored_events: Number(stored?.n),
      ledger_rows: kinds,
      exactly_once: kinds.sale === EVENTS && kinds.fee === EVENTS && Number(stored?.n) === EVENTS,
    },
    null,
    2,
  )}\n`,
);
