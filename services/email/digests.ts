import type { Db } from '../core/db.ts';
import type { JobContext, JobHandle } from '../jobs/runtime.ts';
import { enqueue } from '../jobs/runtime.ts';
import { addDays } from '../core/clock.ts';
import { formatMoney } from '../core/money.ts';
import { sendMail, type Message } from '../core/mailer.ts';
import * as dashboard from '../reports/dashboard.ts';
import * as scores from '../readiness/scores.ts';
import { change, type Change } from '../reports/changes.ts';
import type { TermId } from '../reports/definitions.ts';
import { daysBetween, type Range } from '../reports/periods.ts';
import { linkFor, tokenFor } from './digest-links.ts';
import { preferenceOf, recipients, type DigestRecipient, type PeriodKind } from './digest-preferences.ts';

/** The queue job that sends one digest (jobs/send-digest.ts). */
export const SEND_JOB = 'send-digest';
/** Attempts at one digest before it is recorded as failed; SendGrid's errors are retried with the queue's doubling backoff. */
export const SEND_ATTEMPTS = 5;

/** The period a digest sent on `today` reports: the day before, or Monday to Sunday of the week before. */
export function periodOf(kind: PeriodKind, today: string): Range {
  if (kind === 'daily') {
    const day = addDays(today, -1);
    return { from: day, to: day };
  }
  const sinceMonday = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7;
  const monday = addDays(today, -sinceMonday);
  return { from: addDays(monday, -7), to: addDays(monday, -1) };
}

/** The first Monday after a day. */
export function nextMonday(today: string): string {
  const sinceMonday = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7;
  return addDays(today, 7 - sinceMonday);
}

/** The digests due on a day: the daily one every day, the weekly one on Mondays. */
export function kindsDue(today: string): PeriodKind[] {
  return new Date(`${today}T00:00:00Z`).getUTCDay() === 1 ? ['daily', 'weekly'] : ['daily'];
}

export type DigestFigure = {
  key: string;
  term: TermId;
  label: string;
  unit: 'money' | 'months';
  value: number | null;
  previous: number | null;
  text: string;
  previousText: string;
  change: Change;
  url: string;
};

export type ChartDay = { day: string; label: string; revenue: number; costs: number; revenueText: string; costsText: string; revenueHeight: number; costsHeight: number };

/** A digest as planned: everything the templates show, kept with the send so a retry mails the same thing. */
export type DigestContent = {
  kind: PeriodKind;
  business: { id: string; name: string; currency: string };
  period: Range;
  previous: Range;
  /** The day the point-in-time figures (runway, readiness) are of: the day the digest is planned. */
  asOf: string;
  asOfText: string;
  periodText: string;
  figures: DigestFigure[];
  chart: { days: ChartDay[]; revenueText: string; costsText: string } | null;
  readiness: { score: number; tier: string; previous: number | null; change: Change; url: string } | null;
  recommendations: { title: string; priority: string; why: string }[];
  recommendationsUrl: string;
  syncProblems: { provider: string; providerLabel: string; accountName: string | null; lastError: string | null }[];
  connectionsUrl: string;
  dashboardUrl: string;
};

const PROVIDER_LABELS: Record<string, string> = {
  stripe: 'Stripe',
  plaid: 'Bank feed (Plaid)',
  shopify: 'Shopify',
  meta_ads: 'Meta Ads',
  google_ads: 'Google Ads',
  quickbooks: 'QuickBooks',
};

// The chart's tallest bar, in CSS pixels.
const CHART_HEIGHT = 64;
const SHOWN = ['revenue', 'expenses', 'net_profit', 'cash', 'runway_months'];

function shortDate(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

function weekday(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-US', { weekday: 'short', timeZone: 'UTC' });
}

function figureText(value: number | null, unit: 'money' | 'months', currency: string): string {
  if (unit === 'money') return value === null ? '—' : formatMoney(value, currency);
  return value === null ? 'Not burning' : `${value.toFixed(1)} months`;
}

function periodText(kind: PeriodKind, period: Range): string {
  const year = period.to.slice(0, 4);
  return kind === 'daily' ? `${weekday(period.from)}, ${shortDate(period.from)}, ${year}` : `${shortDate(period.from)} – ${shortDate(period.to)}, ${year}`;
}

/**
 * A business's digest for a period, or null when its ledger is empty (there is nothing
 * to report). The figures are the dashboard's for the same range (dashboard.stats with a
 * custom range, so compared with the days just before); runway and readiness are figures
 * of `today`, compared with what was stored one period earlier (the metric snapshot and
 * the readiness score of that day).
 */
export async function digestContent(db: Db, appUrl: string, businessId: string, kind: PeriodKind, today: string, now: Date): Promise<DigestContent | null> {
  const business = await db('businesses').where({ id: businessId }).first('id', 'name', 'currency');
  if (!business) return null;
  const period = periodOf(kind, today);
  const stats = await dashboard.stats(db, businessId, period, { preset: 'custom', today, now });
  if (stats.empty) return null;
  const length = daysBetween(period.from, period.to) + 1;
  const before = addDays(today, -length);
  const base = `${appUrl.replace(/\/$/, '')}/b/${businessId}`;
  const rangeQuery = `preset=custom&from=${period.from}&to=${period.to}`;
  const [snapshotBefore, latestScore, scoreBefore, newRecommendations, problems, week] = await Promise.all([
    db('metric_snapshots').where({ business_id: businessId }).where('as_of', '<=', before).orderBy('as_of', 'desc').first('metrics'),
    scores.latest(db, businessId),
    db('readiness_scores').where({ business_id: businessId }).where('as_of', '<=', before).orderBy('as_of', 'desc').first('score'),
    db('recommendations')
      .where({ business_id: businessId })
      .whereIn('status', ['open', 'accepted'])
      .where('created_at', '>=', `${period.from}T00:00:00Z`)
      .where('created_at', '<', `${addDays(period.to, 1)}T00:00:00Z`)
      .orderByRaw(`array_position(array['high','medium','low'], priority), created_at, id`)
      .select('title', 'priority', 'why'),
    db('integrations').where({ business_id: businessId, needs_reconnect: true }).whereNot('status', 'disconnected').orderBy('provider').select('provider', 'account_name', 'last_error'),
    // The chart's week: the period itself for a weekly digest, the seven days to the period's end for a daily one.
    kind === 'weekly' ? Promise.resolve(stats) : dashboard.stats(db, businessId, { from: addDays(period.to, -6), to: period.to }, { preset: 'custom', today, now }),
  ]);
  const links: Record<string, string> = {
    revenue: `${base}/pnl?${rangeQuery}`,
    expenses: `${base}/pnl?${rangeQuery}`,
    net_profit: `${base}/pnl?${rangeQuery}`,
    cash: `${base}?${rangeQuery}`,
    runway_months: `${base}/forecast`,
  };
  const figures: DigestFigure[] = [];
  for (const key of SHOWN) {
    const f = stats.figures.find((x) => x.key === key);
    if (!f || f.unit === 'ratio') continue;
    // Runway is a figure of today on the dashboard; the digest compares it with the snapshot stored one period ago.
    const previous = key === 'runway_months' ? ((snapshotBefore?.metrics?.runway_months as number | null | undefined) ?? null) : f.previous;
    const hasPrevious = key === 'runway_months' ? snapshotBefore !== undefined : f.previous !== null;
    figures.push({
      key,
      term: f.term,
      label: f.label,
      unit: f.unit,
      value: f.value,
      previous: hasPrevious ? previous : null,
      text: figureText(f.value, f.unit, business.currency),
      previousText: hasPrevious ? figureText(previous, f.unit, business.currency) : '—',
      change: key === 'runway_months' ? (hasPrevious ? change(f.value, previous, { unit: 'months', upIsGood: true }) : change(null, null, { unit: 'months', upIsGood: true })) : f.change,
      url: links[key],
    });
  }
  let chart: DigestContent['chart'] = null;
  if (!week.empty && week.trend.bucket === 'day') {
    const revenue = week.trend.series.revenue.map((v) => v ?? 0);
    const costs = week.trend.series.expenses.map((v) => v ?? 0);
    // A day whose refunds outweigh its sales draws no bar; its figure is in the text.
    const top = Math.max(1, ...revenue, ...costs);
    const height = (v: number) => (v > 0 ? Math.max(2, Math.round((v / top) * CHART_HEIGHT)) : 0);
    chart = {
      days: week.trend.labels.map((day, i) => ({
        day,
        label: weekday(day).slice(0, 2),
        revenue: revenue[i],
        costs: costs[i],
        revenueText: formatMoney(revenue[i], business.currency),
        costsText: formatMoney(costs[i], business.currency),
        revenueHeight: height(revenue[i]),
        costsHeight: height(costs[i]),
      })),
      revenueText: formatMoney(
        revenue.reduce((a, b) => a + b, 0),
        business.currency,
      ),
      costsText: formatMoney(
        costs.reduce((a, b) => a + b, 0),
        business.currency,
      ),
    };
  }
  return {
    kind,
    business: { id: business.id, name: business.name, currency: business.currency },
    period,
    previous: stats.previous,
    asOf: today,
    asOfText: shortDate(today),
    periodText: periodText(kind, period),
    figures,
    chart,
    readiness: latestScore
      ? {
          score: latestScore.score,
          tier: latestScore.tier,
          previous: scoreBefore?.score ?? null,
          // A 0–100 score changes in points: as a ratio of 100, changes.ts says it in points.
          change: change(latestScore.score / 100, scoreBefore ? scoreBefore.score / 100 : null, { unit: 'ratio', upIsGood: true }),
          url: `${base}/readiness`,
        }
      : null,
    recommendations: newRecommendations,
    recommendationsUrl: `${base}/recommendations`,
    syncProblems: problems.map((p: { provider: string; account_name: string | null; last_error: string | null }) => ({
      provider: p.provider,
      providerLabel: PROVIDER_LABELS[p.provider] ?? p.provider,
      accountName: p.account_name,
      lastError: p.last_error,
    })),
    connectionsUrl: `${base}/connections`,
    dashboardUrl: `${base}?${rangeQuery}`,
  };
}

/** The subject line: the business, the period and its two headline figures. */
export function subjectOf(content: DigestContent): string {
  const pick = (key: string) => content.figures.find((f) => f.key === key);
  const revenue = pick('revenue');
  const cash = pick('cash');
  const when = content.kind === 'daily' ? content.periodText.replace(/, \d{4}$/, '') : `week of ${shortDate(content.period.from)}`;
  return `${content.business.name}, ${when}: ${revenue?.label.toLowerCase() ?? 'net revenue'} ${revenue?.text ?? '—'}, cash ${cash?.text ?? '—'}`;
}

/**
 * The mail of one digest to one recipient: the content, their signed preference link
 * (also the List-Unsubscribe target, RFC 8058 one-click by POST) and their settings page.
 */
export async function digestMessage(db: Db, appUrl: string, content: DigestContent, to: { userId: string; email: string }): Promise<Message> {
  const link = linkFor(appUrl, await tokenFor(db, { userId: to.userId, businessId: content.business.id }));
  return {
    to: to.email,
    subject: subjectOf(content),
    template: 'digest',
    data: { ...content, preferencesUrl: link, settingsUrl: `${appUrl.replace(/\/$/, '')}/b/${content.business.id}/digest` },
    headers: { 'List-Unsubscribe': `<${link}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  };
}

export type PlanResult = { kind: PeriodKind; period: Range; planned: number; queued: number; report: string[] };

/**
 * Records a period's digests for everyone who wants one (a `digest_sends` row each,
 * pending) and queues one send job per pending row. Safe to run any number of times:
 * a recipient who has a row for the period gets no second one, and a send job is queued
 * once per row ever. With `dryRun`, writes nothing and reports who would get what.
 */
export async function plan(ctx: JobContext, kind: PeriodKind, today: string, opts: { businessId?: string; dryRun?: boolean } = {}): Promise<PlanResult> {
  const { db, clock, config } = ctx;
  const period = periodOf(kind, today);
  const wanted = await recipients(db, kind, opts.businessId);
  const existing = await db('digest_sends').where({ period_kind: kind, period_start: period.from }).select('user_id', 'business_id');
  const has = new Set(existing.map((r: { user_id: string; business_id: string }) => `${r.user_id}|${r.business_id}`));
  const byBusiness = new Map<string, DigestRecipient[]>();
  for (const r of wanted) {
    if (has.has(`${r.userId}|${r.businessId}`)) continue;
    byBusiness.set(r.businessId, [...(byBusiness.get(r.businessId) ?? []), r]);
  }
  const report: string[] = [];
  let planned = 0;
  for (const [businessId, people] of byBusiness) {
    const content = await digestContent(db, config.appUrl, businessId, kind, today, clock.now());
    if (!content) {
      report.push(`${kind} ${period.from}..${period.to} ${businessId}: no ledger rows yet, no digest`);
      continue;
    }
    for (const p of people) {
      const summary = content.figures.map((f) => `${f.label} ${f.text} (${f.change.text})`).join(', ');
      const extras = [`${content.recommendations.length} new recommendation(s)`, `${content.syncProblems.length} connection(s) to reconnect`];
      report.push(`${kind} ${period.from}..${period.to} → ${p.email}: ${content.business.name}: ${summary}; ${extras.join(', ')}`);
    }
    if (opts.dryRun) continue;
    const inserted = await db('digest_sends')
      .insert(
        people.map((p) => ({
          user_id: p.userId,
          business_id: businessId,
          period_kind: kind,
          period_start: period.from,
          period_end: period.to,
          to_address: p.email,
          content: JSON.stringify(content),
          status: 'pending',
          created_at: clock.now(),
        })),
      )
      .onConflict(['user_id', 'business_id', 'period_kind', 'period_start'])
      .ignore()
      .returning('id');
    planned += inserted.length;
  }
  let queued = 0;
  if (!opts.dryRun) {
    // Every pending row of the period, planned now or by a run that stopped before it queued them.
    const pending = db('digest_sends').where({ period_kind: kind, period_start: period.from, status: 'pending' });
    if (opts.businessId) pending.where({ business_id: opts.businessId });
    for (const { id } of await pending.select('id')) {
      if (await enqueue(db, clock.now(), SEND_JOB, { sendId: id }, { dedupeKey: `digest:${id}`, maxAttempts: SEND_ATTEMPTS })) queued++;
    }
  }
  return { kind, period, planned, queued, report };
}

export type SendResult = { status: 'sent' | 'failed' | 'cancelled' | 'skipped'; reason?: string };

/**
 * Sends one planned digest, at most once. The row moves to `sending` before the mail
 * leaves; a row found there was cut off mid-send (the mail may have gone), so it is
 * recorded as failed rather than sent again. A refusal by SendGrid puts it back to
 * pending and throws, so the queue tries again after its backoff; the last attempt's
 * refusal is recorded as failed. A recipient who has stopped wanting this digest, or
 * left the business, since it was planned gets nothing.
 */
export async function send(ctx: JobContext, sendId: string, handle: Pick<JobHandle, 'final'>): Promise<SendResult> {
  const { db, clock, config, logger } = ctx;
  const [row] = await db('digest_sends')
    .where({ id: sendId, status: 'pending' })
    .update({ status: 'sending', attempts: db.raw('attempts + 1') })
    .returning('*');
  if (!row) {
    const found = await db('digest_sends').where({ id: sendId }).first('status');
    if (found?.status === 'sending') {
      const reason = 'stopped while sending; not sent again, so it cannot arrive twice';
      await db('digest_sends').where({ id: sendId, status: 'sending' }).update({ status: 'failed', last_error: reason });
      return { status: 'failed', reason };
    }
    return { status: 'skipped', reason: found ? `already ${found.status}` : 'no such digest' };
  }
  const preference = await preferenceOf(db, row.business_id, row.user_id);
  if (!preference || preference.frequency !== row.period_kind) {
    const reason = preference ? `the recipient chose ${preference.frequency}` : 'the recipient is no longer a member';
    await db('digest_sends').where({ id: sendId }).update({ status: 'cancelled', last_error: reason });
    return { status: 'cancelled', reason };
  }
  const content: DigestContent = typeof row.content === 'string' ? JSON.parse(row.content) : row.content;
  const message = await digestMessage(db, config.appUrl, content, { userId: row.user_id, email: preference.email });
  let handedOver = false;
  try {
    // On the outbox the mail and its record commit together; through SendGrid a failed
    // record leaves the row in `sending`, which is never sent again.
    await db.transaction(async (trx) => {
      const delivery = await sendMail(trx, config, logger, message);
      handedOver = true;
      await trx('digest_sends').where({ id: sendId }).update({ status: 'sent', sent_at: clock.now(), via: delivery.via, message_id: delivery.id, to_address: preference.email, last_error: null });
    });
  } catch (err) {
    if (handedOver) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    await db('digest_sends')
      .where({ id: sendId, status: 'sending' })
      .update({ status: handle.final ? 'failed' : 'pending', last_error: reason });
    throw err;
  }
  return { status: 'sent' };
}
