import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { HtmlValidate } from 'html-validate';
import { addDays } from '../services/core/clock.ts';
import { formatMoney } from '../services/core/money.ts';
import { renderMessage, type Message } from '../services/core/mailer.ts';
import { runJob, type JobContext } from '../services/jobs/runtime.ts';
import * as dashboard from '../services/reports/dashboard.ts';
import * as scores from '../services/readiness/scores.ts';
import * as digests from '../services/email/digests.ts';
import * as preferences from '../services/email/digest-preferences.ts';
import { tokenFor } from '../services/email/digest-links.ts';
import { createLogger } from '../services/core/logger.ts';
import digestsJob from '../jobs/digests.ts';
import { addMember, createTestApp, insertBusiness, insertLedgerRows, insertUser, signIn, type TestContext } from './helpers.ts';
import { startFakeSendGrid } from './fakes/sendgrid.ts';

// A Monday: the daily digest reports Sunday the 29th, the weekly one Monday 23 to Sunday 29 November.
const MONDAY = '2026-11-30';
const WEEK = { from: '2026-11-23', to: '2026-11-29' };

/** Five weeks of a small shop's ledger: sales every day, costs most days, a refund now and then. */
function shopRows(until: string) {
  const rows = [];
  for (let d = '2026-10-20', i = 0; d <= until; d = addDays(d, 1), i++) {
    rows.push({ kind: 'sale' as const, amount: 40_000 + ((i * 7919) % 25_000), occurred_on: d, description: `Orders ${d}` });
    if (i % 2 === 0) rows.push({ kind: 'cogs' as const, amount: -(12_000 + ((i * 131) % 4_000)), occurred_on: d, description: `Stock ${d}` });
    if (i % 3 === 0) rows.push({ kind: 'expense' as const, amount: -(9_000 + ((i * 577) % 6_000)), occurred_on: d, description: `Rent and tools ${d}` });
    if (i % 9 === 4) rows.push({ kind: 'refund' as const, amount: -5_500, occurred_on: d, description: `Refund ${d}` });
  }
  return rows.map((r) => ({ ...r, amount_base: r.amount }));
}

/** Every problem html-validate finds in a document, as lines. */
async function htmlProblems(html: string): Promise<string[]> {
  const validator = new HtmlValidate({ extends: ['html-validate:standard'] });
  const report = await validator.validateString(html);
  return report.results.flatMap((r) => r.messages.map((m) => `${m.ruleId} (line ${m.line}): ${m.message}`));
}

/** Every URL an HTML body points at or loads. */
function urlsIn(html: string): string[] {
  return [...html.matchAll(/\b(?:href|src|background|action|poster|srcset)\s*=\s*"([^"]*)"/gi)].map((m) => m[1]);
}

describe('email digests', () => {
  let ctx: TestContext;
  let jobs: JobContext;
  let sendgrid: Awaited<ReturnType<typeof startFakeSendGrid>>;
  let owner: Awaited<ReturnType<typeof insertUser>>;
  let businessId: string;

  before(async () => {
    sendgrid = await startFakeSendGrid();
    ctx = await createTestApp({ config: { appUrl: 'https://books.example.com', sendgrid: { apiKey: sendgrid.apiKey, apiUrl: sendgrid.url } } });
    ctx.clock.set(`${MONDAY}T07:00:00Z`);
    jobs = { db: ctx.db, clock: ctx.clock, config: ctx.config, logger: createLogger('silent') };
    owner = await insertUser(ctx.db, { name: 'Olive Owner', email: 'olive@example.com' });
    businessId = (await insertBusiness(ctx.db, owner.id, { name: 'Olive & Oak' })).id;
    await insertLedgerRows(ctx.db, businessId, shopRows('2026-11-29'));
    // Readiness a week ago and today, as the figures refresh stores them.
    await scores.refresh(ctx.db, ctx.clock, businessId, '2026-11-23');
    await scores.refresh(ctx.db, ctx.clock, businessId, MONDAY);
    await ctx.db('recommendations').insert({
      business_id: businessId,
      rule: 'tests_new_rule',
      priority: 'high',
      title: 'Keep two months of costs in cash',
      why: 'Cash covers fewer weeks of costs than last month.',
      action: 'Move money to the reserve account.',
      created_at: '2026-11-26T09:00:00Z',
      updated_at: '2026-11-26T09:00:00Z',
    });
    await ctx.db('integrations').insert({
      business_id: businessId,
      provider: 'stripe',
      status: 'needs_reconnect',
      account_name: 'Olive & Oak Stripe',
      needs_reconnect: true,
      last_error: 'The account revoked access',
      created_at: '2026-11-01T00:00:00Z',
      updated_at: '2026-11-28T00:00:00Z',
    });
  });
  after(async () => {
    await ctx.close();
    await sendgrid.close();
  });

  test('a weekly digest shows the dashboard’s figures for the same week, in the HTML and the text part alike', async () => {
    const content = await digests.digestContent(ctx.db, ctx.config.appUrl, businessId, 'weekly', MONDAY, ctx.clock.now());
    assert.ok(content);
    assert.deepEqual(content.period, WEEK);
    const stats = await dashboard.stats(ctx.db, businessId, WEEK, { preset: 'custom', today: MONDAY, now: ctx.clock.now() });
    assert.equal(stats.empty, false);
    if (stats.empty) return;
    const message = await digests.digestMessage(ctx.db, ctx.config.appUrl, content, { userId: owner.id, email: owner.email });
    const { html, text } = renderMessage(message);
    for (const key of ['revenue', 'expenses', 'net_profit', 'cash']) {
      const shown: dashboard.Figure = stats.figures.find((f) => f.key === key)!;
      const inDigest: digests.DigestFigure = content.figures.find((f) => f.key === key)!;
      assert.equal(inDigest.value, shown.value, `${key} is the dashboard's`);
      assert.equal(inDigest.change.text, shown.change.text, `${key}'s change is the dashboard's`);
      const row = new RegExp(`data-figure="${key}"[\\s\\S]*?>${escapeRe(shown.label)}</a>[\\s\\S]*?>${escapeRe(formatMoney(shown.value!, 'USD'))}</td>[\\s\\S]*?>${escapeRe(shown.change.text)}</td>`);
      assert.match(html, row, `the HTML row of ${key}`);
      assert.ok(text.includes(`${shown.label}: ${formatMoney(shown.value!, 'USD')} (${shown.change.text})`), `the text line of ${key}`);
    }
    // Net revenue over a week of sales is real money, not an empty figure.
    assert.ok((stats.figures.find((f) => f.key === 'revenue')!.value ?? 0) > 200_000);
    const runway = stats.figures.find((f) => f.key === 'runway_months')!;
    assert.equal(content.figures.find((f) => f.key === 'runway_months')!.value, runway.value, 'runway is the dashboard’s of today');
    // Readiness: today's stored score against last Monday's.
    const latest = await scores.latest(ctx.db, businessId);
    assert.equal(content.readiness?.score, latest?.score);
    const weekAgo = await ctx.db('readiness_scores').where({ business_id: businessId, as_of: '2026-11-23' }).first('score');
    assert.equal(content.readiness?.previous, weekAgo.score);
    assert.ok(html.includes(`<strong>${latest!.score}</strong> / 100`));
    assert.ok(text.includes(`Funding readiness: ${latest!.score} / 100`));
    // The recommendation made during the week, and the connection that needs reconnecting, each with its page.
    assert.ok(html.includes('Keep two months of costs in cash') && text.includes('Keep two months of costs in cash'));
    assert.ok(html.includes(`href="https://books.example.com/b/${businessId}/connections"`));
    assert.ok(text.includes(`https://books.example.com/b/${businessId}/connections`));
    assert.match(html, /Stripe<\/strong> \(Olive &amp; Oak Stripe\) stopped syncing/);
    assert.ok(html.includes(`href="https://books.example.com/b/${businessId}/pnl?preset=custom&amp;from=${WEEK.from}&amp;to=${WEEK.to}"`));
    // The bar chart: one column per day of the week, bars as tall as the day's figures.
    assert.equal(content.chart?.days.length, 7);
    assert.equal((html.match(/class="bar-revenue"/g) ?? []).length, 7);
  });

  test('the dashboard page for that week shows the same net revenue the digest reports', async () => {
    const content = await digests.digestContent(ctx.db, ctx.config.appUrl, businessId, 'weekly', MONDAY, ctx.clock.now());
    const signedIn = await signIn(ctx.app, owner.email, owner.password);
    const page = await signedIn.agent.get(`/b/${businessId}?preset=custom&from=${WEEK.from}&to=${WEEK.to}`);
    assert.equal(page.status, 200);
    const card = /data-figure="revenue"[\s\S]*?class="kpi-value[^"]*">([^<]+)</.exec(page.text);
    assert.equal(card?.[1], content!.figures.find((f) => f.key === 'revenue')!.text);
  });

  test('a daily digest reports the day before, compared with the day before that', async () => {
    const content = await digests.digestContent(ctx.db, ctx.config.appUrl, businessId, 'daily', MONDAY, ctx.clock.now());
    assert.deepEqual(content?.period, { from: '2026-11-29', to: '2026-11-29' });
    assert.deepEqual(content?.previous, { from: '2026-11-28', to: '2026-11-28' });
    const stats = await dashboard.stats(ctx.db, businessId, content!.period, { preset: 'custom', today: MONDAY, now: ctx.clock.now() });
    if (stats.empty) throw new Error('empty');
    assert.equal(content!.figures.find((f) => f.key === 'revenue')!.value, stats.figures.find((f) => f.key === 'revenue')!.value);
  });

  test('the HTML has no script and loads nothing from outside: every link is the app’s own, and it is valid HTML', async () => {
    const content = (await digests.digestContent(ctx.db, ctx.config.appUrl, businessId, 'weekly', MONDAY, ctx.clock.now()))!;
    const other: Message[] = [
      { to: 'a@example.com', subject: 'Sign in', template: 'magic-link', data: { name: 'Ann', url: 'https://books.example.com/magic?token=x', minutes: 15 } },
      { to: 'a@example.com', subject: 'Reset', template: 'password-reset', data: { name: 'Ann', url: 'https://books.example.com/reset?token=x', minutes: 15 } },
      { to: 'a@example.com', subject: 'Join', template: 'invitation', data: { inviter: 'Bo', business: 'B & B', role: 'member', url: 'https://books.example.com/invitation?token=x', days: 7 } },
    ];
    const messages = [await digests.digestMessage(ctx.db, ctx.config.appUrl, content, { userId: owner.id, email: owner.email }), ...other];
    for (const message of messages) {
      const { html } = renderMessage(message);
      assert.doesNotMatch(html, /<script/i, message.template);
      assert.doesNotMatch(html, /<link\b|@import|url\(|<img\b|<iframe\b|<object\b|<embed\b/i, `${message.template}: nothing loaded`);
      const urls = urlsIn(html);
      assert.ok(urls.length > 0);
      for (const u of urls) assert.ok(u.startsWith('https://books.example.com/'), `${message.template}: ${u} is the app's own`);
      assert.deepEqual(await htmlProblems(html), [], `${message.template} is valid HTML`);
      // The shared layout: dark-mode aware, its CSS inlined into the elements.
      assert.match(html, /<meta name="color-scheme" content="light dark">/);
      assert.match(html, /@media \(prefers-color-scheme: dark\)/);
      assert.match(html, /<td class="content" style="[^"]*padding/);
    }
  });

  test('members choose daily, weekly or off per business; owners get the weekly one unless they say otherwise, others none', async () => {
    const member = await insertUser(ctx.db);
    await addMember(ctx.db, businessId, member.id, 'member');
    assert.equal((await preferences.preferenceOf(ctx.db, businessId, owner.id))?.frequency, 'weekly');
    assert.equal((await preferences.preferenceOf(ctx.db, businessId, member.id))?.frequency, 'off');
    const weekly = (await preferences.recipients(ctx.db, 'weekly', businessId)).map((r) => r.email);
    assert.deepEqual(weekly, [owner.email]);
    const stranger = await insertUser(ctx.db);
    assert.equal(await preferences.setPreference(ctx.db, ctx.clock, businessId, stranger.id, 'daily'), false, 'a non-member has no preference to set');
    assert.equal(await ctx.db('digest_preferences').where({ user_id: stranger.id }).first(), undefined);
  });

  test('npm run job -- digests --dry-run says who would get what, and neither records nor sends anything', async () => {
    const outcome = await runJob(digestsJob, jobs, 'manual', { dryRun: true });
    assert.equal(outcome.status, 'succeeded');
    const report = outcome.result?.report as string[];
    assert.ok(report.some((line) => line.startsWith(`weekly ${WEEK.from}..${WEEK.to} → ${owner.email}: Olive & Oak: Net revenue $`)));
    assert.ok(report.some((line) => line.includes('1 connection(s) to reconnect')));
    assert.equal((await ctx.db('digest_sends').count({ n: '*' }).first())!.n, 0);
    assert.equal(await ctx.db('job_queue').where({ name: digests.SEND_JOB }).first(), undefined);
    assert.equal(sendgrid.received.length, 0);
  });

  test('the digest job run twice, and by two schedulers at once, sends the week’s digest once', async () => {
    sendgrid.received.length = 0;
    await Promise.all([digests.plan(jobs, 'weekly', MONDAY), digests.plan(jobs, 'weekly', MONDAY)]);
    await runJob(digestsJob, jobs, 'schedule');
    await ctx.worker.drain();
    await runJob(digestsJob, jobs, 'manual');
    await ctx.worker.drain();
    const toOwner = sendgrid.received.filter((m) => m.body.personalizations[0].to[0].email === owner.email && /week of Nov 23/.test(m.body.subject));
    assert.equal(toOwner.length, 1, 'one weekly mail');
    const sent = await ctx.db('digest_sends').where({ user_id: owner.id, period_kind: 'weekly' });
    assert.equal(sent.length, 1);
    assert.equal(sent[0].status, 'sent');
    assert.equal(sent[0].via, 'sendgrid');
    // The mail as SendGrid got it: HTML and text, and the one-click unsubscribe headers with a signed link.
    const mail = toOwner[0].body;
    assert.deepEqual(
      mail.content.map((c: { type: string }) => c.type),
      ['text/plain', 'text/html'],
    );
    assert.equal(mail.headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click');
    assert.match(mail.headers['List-Unsubscribe'], /^<https:\/\/books\.example\.com\/u\/[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}>$/);
    assert.match(mail.subject, /^Olive & Oak, week of Nov 23: net revenue \$[\d,.]+, cash \$[\d,.]+$/);
  });

  test('a send cut off mid-way is not sent again, so a crash never doubles a mail', async () => {
    sendgrid.received.length = 0;
    const member = await insertUser(ctx.db);
    await addMember(ctx.db, businessId, member.id, 'admin');
    await preferences.setPreference(ctx.db, ctx.clock, businessId, member.id, 'daily');
    const planned = await digests.plan(jobs, 'daily', MONDAY, { businessId });
    assert.equal(planned.planned, 1);
    // A worker took the send and died after the row said "sending": the mail may have left.
    await ctx.db('digest_sends').where({ user_id: member.id }).update({ status: 'sending' });
    await ctx.worker.drain();
    assert.equal(sendgrid.received.length, 0);
    const row = await ctx.db('digest_sends').where({ user_id: member.id }).first();
    assert.equal(row.status, 'failed');
    assert.match(row.last_error, /not sent again/);
  });

  test('a SendGrid error is recorded and retried after the queue’s backoff; the retry sends the mail once', async () => {
    sendgrid.received.length = 0;
    const member = await insertUser(ctx.db, { email: 'retry@example.com' });
    await addMember(ctx.db, businessId, member.id, 'member');
    await preferences.setPreference(ctx.db, ctx.clock, businessId, member.id, 'weekly');
    sendgrid.failNext(1);
    await digests.plan(jobs, 'weekly', MONDAY, { businessId });
    await ctx.worker.drain();
    let row = await ctx.db('digest_sends').where({ user_id: member.id }).first();
    assert.equal(row.status, 'pending');
    assert.equal(row.attempts, 1);
    assert.match(row.last_error, /Internal Server Error|500/);
    const queued = await ctx.db('job_queue').where({ name: digests.SEND_JOB, state: 'queued' }).first();
    assert.equal(new Date(queued.run_after).getTime() - ctx.clock.now().getTime(), 60_000, 'tried again a minute later');
    await ctx.worker.drain();
    assert.equal(sendgrid.received.length, 0, 'not before the backoff');
    ctx.clock.advance(61_000);
    await ctx.worker.drain();
    row = await ctx.db('digest_sends').where({ user_id: member.id }).first();
    assert.equal(row.status, 'sent');
    assert.equal(row.attempts, 2);
    assert.equal(sendgrid.received.filter((m) => m.body.personalizations[0].to[0].email === 'retry@example.com').length, 1);
    ctx.clock.set(`${MONDAY}T07:00:00Z`);
  });

  test('one click in the mail client unsubscribes: a POST to the signed link with no session and no CSRF token, and the next digest does not come', async () => {
    const reader = await insertUser(ctx.db, { email: 'reader@example.com' });
    await addMember(ctx.db, businessId, reader.id, 'viewer');
    await preferences.setPreference(ctx.db, ctx.clock, businessId, reader.id, 'daily');
    sendgrid.received.length = 0;
    await digests.plan(jobs, 'daily', MONDAY, { businessId });
    await ctx.worker.drain();
    const mail = sendgrid.received.find((m) => m.body.personalizations[0].to[0].email === 'reader@example.com');
    assert.ok(mail, 'the first digest came');
    const link = /^<(.+)>$/.exec(mail.body.headers['List-Unsubscribe'])![1];
    const path = new URL(link).pathname;
    const res = await request(ctx.app).post(path).type('form').send('List-Unsubscribe=One-Click');
    assert.equal(res.status, 200);
    assert.match(res.text, /Unsubscribed/);
    assert.equal((await preferences.preferenceOf(ctx.db, businessId, reader.id))?.frequency, 'off');
    // The next morning's digests go to others, not to this reader.
    ctx.clock.set('2026-12-01T07:00:00Z');
    sendgrid.received.length = 0;
    await digests.plan(jobs, 'daily', '2026-12-01', { businessId });
    await ctx.worker.drain();
    assert.equal(sendgrid.received.filter((m) => m.body.personalizations[0].to[0].email === 'reader@example.com').length, 0);
    assert.equal(await ctx.db('digest_sends').where({ user_id: reader.id, period_start: '2026-11-30' }).first(), undefined);
    ctx.clock.set(`${MONDAY}T07:00:00Z`);
  });

  test('the signed link opens the recipient’s preference page without a session, and its form changes only that preference', async () => {
    const token = await tokenFor(ctx.db, { userId: owner.id, businessId });
    const page = await request(ctx.app).get(`/u/${token}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /Email digest for <strong>Olive &amp; Oak<\/strong>/);
    assert.match(page.text, /value="weekly" checked/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    const bad = await request(ctx.app).post(`/u/${token}`).type('form').send({ frequency: 'hourly' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /Choose daily, weekly or off/);
    assert.equal((await preferences.preferenceOf(ctx.db, businessId, owner.id))?.frequency, 'weekly');
    const saved = await request(ctx.app).post(`/u/${token}`).type('form').send({ frequency: 'daily' });
    assert.equal(saved.status, 200);
    assert.match(saved.text, /value="daily" checked/);
    assert.equal((await preferences.preferenceOf(ctx.db, businessId, owner.id))?.frequency, 'daily');
    await preferences.setPreference(ctx.db, ctx.clock, businessId, owner.id, 'weekly');
  });

  test('a tampered link is refused and changes nothing: another signature, another recipient, another business', async () => {
    const token = await tokenFor(ctx.db, { userId: owner.id, businessId });
    const [payload, signature] = token.split('.');
    const other = await insertBusiness(ctx.db, owner.id, { name: 'Other shop' });
    const otherToken = await tokenFor(ctx.db, { userId: owner.id, businessId: other.id });
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const forged = [
      `${payload}.${flip(signature, 5)}`,
      `${payload}.${flip(signature, 42)}`,
      `${otherToken.split('.')[0]}.${signature}`,
      `${flip(payload, 3)}.${signature}`,
      `${payload}.`,
      'not-a-token',
    ];
    for (const t of forged) {
      const post = await request(ctx.app).post(`/u/${t}`).type('form').send('List-Unsubscribe=One-Click');
      assert.equal(post.status, 403, `${t} refused`);
      const get = await request(ctx.app).get(`/u/${t}`);
      assert.equal(get.status, 403, `${t} not shown`);
      assert.doesNotMatch(get.text, /Olive/);
    }
    assert.equal((await preferences.preferenceOf(ctx.db, businessId, owner.id))?.frequency, 'weekly');
    assert.equal((await preferences.preferenceOf(ctx.db, other.id, owner.id))?.frequency, 'weekly');
    assert.equal(await ctx.db('digest_preferences').where({ user_id: owner.id }).whereIn('frequency', ['off', 'daily']).first(), undefined);
  });

  test('a member sets their own digest from the business’s pages; a stranger can neither see nor change it', async () => {
    const viewer = await insertUser(ctx.db);
    await addMember(ctx.db, businessId, viewer.id, 'viewer');
    const v = await signIn(ctx.app, viewer.email, viewer.password);
    const page = await v.agent.get(`/b/${businessId}/digest`);
    assert.equal(page.status, 200);
    assert.match(page.text, /value="off" checked/);
    const saved = await v.agent.post(`/b/${businessId}/digest`).type('form').send({ _csrf: v.csrf, frequency: 'daily' });
    assert.equal(saved.status, 303, 'a viewer may choose their own digest');
    assert.equal((await preferences.preferenceOf(ctx.db, businessId, viewer.id))?.frequency, 'daily');
    const invalid = await v.agent.post(`/b/${businessId}/digest`).type('form').send({ _csrf: v.csrf, frequency: 'sometimes' });
    assert.equal(invalid.status, 422);
    const account = await v.agent.get('/account/digests');
    assert.equal(account.status, 200);
    assert.match(account.text, /Olive &amp; Oak/);
    assert.match(account.text, new RegExp(`action="/b/${businessId}/digest"`));

    const strangerUser = await insertUser(ctx.db);
    const stranger = await signIn(ctx.app, strangerUser.email, strangerUser.password);
    const peek = await stranger.agent.get(`/b/${businessId}/digest`);
    assert.equal(peek.status, 403);
    assert.doesNotMatch(peek.text, /Olive/);
    const write = await stranger.agent.post(`/b/${businessId}/digest`).type('form').send({ _csrf: stranger.csrf, frequency: 'daily' });
    assert.equal(write.status, 403);
    assert.equal(await ctx.db('digest_preferences').where({ user_id: strangerUser.id }).first(), undefined);
    const list = await stranger.agent.get('/account/digests');
    assert.doesNotMatch(list.text, /Olive/);
    // Without the token a session form still needs its CSRF token.
    const noToken = await v.agent.post(`/b/${businessId}/digest`).type('form').send({ frequency: 'off' });
    assert.equal(noToken.status, 403);
    assert.equal((await preferences.preferenceOf(ctx.db, businessId, viewer.id))?.frequency, 'daily');
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
