/**
 * Expense list benchmark on real PostgreSQL: a business with LEDGER_ROWS ledger rows,
 * 10 concurrent signed-in users loading the first page, filtered pages (text and date,
 * a different text each request), an amount-sorted page and the totals fragment, over
 * HTTP against Bursar in its own process. The bare 50-row Nunjucks page is measured in
 * the same run as the baseline. Prints JSON.
 *   DATABASE_URL=postgres://… tsx scripts/bench/expenses.ts   (REUSE=1 keeps a previous run's rows)
 */
import type { ChildProcess } from 'node:child_process';
import { benchBusiness, benchDb } from './setup.ts';
import { load, signIn, startApp, startBare, stopChildren } from './http.ts';

const LEDGER_ROWS = Number(process.env.LEDGER_ROWS ?? 1_000_000);
const USERS = Number(process.env.USERS ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

const db = await benchDb();
const existing = await db('businesses').where({ name: 'Bench Co' }).first('id');
const { businessId, email, password } = existing && process.env.REUSE ? await reuse(existing.id) : await benchBusiness(db, LEDGER_ROWS);

async function reuse(id: string) {
  const { createUser } = await import('../../services/access/users.ts');
  const email = `bench-reuse-${Date.now()}@example.com`;
  const user = await createUser(db, { email, name: 'Bench', password: 'benchmark password' });
  await db('memberships').insert({ business_id: id, user_id: user.id, role: 'owner' });
  return { businessId: id, email, password: 'benchmark password' };
}
const ledgerRows = (await db('transactions').where({ business_id: businessId }).count({ n: '*' }).first())!.n;
await db.destroy();

const children: ChildProcess[] = [];
try {
  const app = await startApp(process.env.DATABASE_URL!);
  children.push(app.child);
  const bare = await startBare();
  children.push(bare.child);
  const cookie = await signIn(app.base, email, password);
  const list = `${app.base}/b/${businessId}/expenses`;
  const text = (i: number) => `q=${encodeURIComponent(`Bench row ${i % 997}`)}&from=2025-01-01&to=2026-06-30`;
  const targets: [string, string | ((i: number) => string)][] = [
    ['first_page', list],
    ['filtered_page', (i) => `${list}?${text(i)}`],
    ['amount_sorted', `${list}?sort=amount_desc&min=100`],
    ['totals_fragment_unfiltered', `${list}/totals`],
    ['totals_fragment_date_range', `${list}/totals?from=2025-01-01&to=2026-06-30`],
    ['totals_fragment_text', (i) => `${list}/totals?${text(i)}`],
    ['api_first_page', `${app.base}/api/v1/expenses?business_id=${businessId}&limit=50`],
  ];
  const probe = await fetch(list, { headers: { cookie, 'x-forwarded-proto': 'https' } });
  if (probe.status !== 200) throw new Error(`the list answered ${probe.status}: ${(await probe.text()).slice(0, 300)}`);
  const results: Record<string, unknown> = { bare_50_row_nunjucks: await load(bare.url, {}, USERS, SECONDS) };
  for (const [key, url] of targets) {
    await load(url, { cookie }, 4, 1); // warm-up
    results[key] = await load(url, { cookie }, USERS, SECONDS);
  }
  process.stdout.write(`${JSON.stringify({ ledger_rows: ledgerRows, users: USERS, seconds_each: SECONDS, http: results }, null, 2)}\n`);
} finally {
  await stopChildren(children);
}
