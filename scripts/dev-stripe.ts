/**
 * `npm run dev:stripe`: Bursar on embedded PGlite beside a local Stripe (the fake the tests
 * use), so "Connect Stripe" can be tried end to end with no Stripe account and no network.
 * The fake's account holds fourteen months of a small shop's payments, refunds, disputes
 * and payouts; after connecting, a new payment arrives by signed webhook every 20 seconds.
 * Every start makes new keys, and the account's history is made again from one seed, so a
 * connection made in an earlier run keeps working.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { shopHistory, startFakeStripe, type FakeAccount } from '../tests/fakes/stripe.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PORT = Number(process.env.STRIPE_FAKE_PORT ?? 12111);
const APP_PORT = Number(process.env.PORT ?? 3000);
const APP_URL = process.env.APP_URL ?? `http://127.0.0.1:${APP_PORT}`;

async function main(): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  let account: FakeAccount | null = null;
  const fake = await startFakeStripe({ port: PORT, latencyMs: 120, account: () => account! });
  fake.setNow(now);
  account = shopHistory(fake, { now, days: 425, id: 'acct_1BursarDemoShop', name: 'Harbor Coffee Roasters (Stripe demo)' });
  process.stdout.write(`\n  Local Stripe (fake) at ${fake.url}: ${account.balance_transactions.length} balance transactions ready to backfill.\n`);

  const env = { ...process.env, ...fake.env(), APP_URL, PORT: String(APP_PORT) };
  const app = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server.ts')], { env, stdio: 'inherit' });

  // A new payment every 20 seconds, delivered as Stripe would: a signed charge.succeeded webhook.
  const ticker = setInterval(async () => {
    const created = Math.floor(Date.now() / 1000);
    fake.setNow(created);
    const charge = fake.charge(account!, { amount: 1500 + Math.floor(Math.random() * 6000), created, name: 'Walk-in customer', description: 'Coffee subscription box' });
    const payload = JSON.stringify(fake.event(account!, 'charge.succeeded', charge, created));
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: fake.webhookSecret });
    await fetch(`${APP_URL}/api/v1/webhooks/stripe`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Stripe-Signature': header }, body: payload }).catch(() => undefined);
  }, 20_000);

  const stop = async () => {
    clearInterval(ticker);
    app.kill('SIGTERM');
    await fake.close();
  };
  app.on('exit', (code) => {
    clearInterval(ticker);
    fake.close().finally(() => process.exit(code ?? 0));
  });
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`dev:stripe failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
