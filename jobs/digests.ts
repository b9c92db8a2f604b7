import { z } from 'zod';
import type { Job } from '../services/jobs/runtime.ts';
import * as digests from '../services/email/digests.ts';
import { isoDate } from '../services/core/clock.ts';
import { day } from '../services/core/dates.ts';

const payload = z.object({
  dryRun: z.boolean().optional(),
  businessId: z.uuid().optional(),
  kind: z.enum(['daily', 'weekly']).optional(),
  today: day().optional(),
});

/**
 * Daily at 07:00 by the server's clock (run servers on UTC: periods are UTC days), after
 * the night's figures: compute-metrics runs hourly and the recommendations at 05:40, so
 * yesterday is complete and today's runway and readiness are stored. Plans the day's digests (the weekly ones too on Mondays) and queues one
 * `send-digest` per recipient; a re-run or a second scheduler plans nothing new.
 * `--dry-run` reports who would get what and writes nothing.
 */
const job: Job = {
  name: 'digests',
  schedule: '0 7 * * *',
  dryRun: true,
  run: async (ctx, input) => {
    const p = payload.parse(input);
    const today = p.today ?? isoDate(ctx.clock.now());
    const kinds = p.kind ? [p.kind] : digests.kindsDue(today);
    const results = [];
    for (const kind of kinds) results.push(await digests.plan(ctx, kind, today, { businessId: p.businessId, dryRun: p.dryRun }));
    const report = results.flatMap((r) => (r.report.length ? r.report : [`${r.kind} ${r.period.from}..${r.period.to}: nobody is due one`]));
    if (!kinds.includes('weekly')) report.push(`weekly: sent on Mondays, next on ${digests.nextMonday(today)}`);
    return {
      dryRun: Boolean(p.dryRun),
      planned: results.reduce((n, r) => n + r.planned, 0),
      queued: results.reduce((n, r) => n + r.queued, 0),
      report,
    };
  },
};
export default job;
