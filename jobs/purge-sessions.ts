import type { Job } from '../services/jobs.ts';
import * as sessions from '../services/sessions.ts';
import * as rateLimits from '../services/rate-limits.ts';

/**
 * Hourly: expired sessions are dead weight in the table every request reads from;
 * rate-limit counters whose window has ended are too (sign-ins upsert into it).
 */
const job: Job = {
  name: 'purge-sessions',
  schedule: '17 * * * *',
  run: async ({ db, clock }) => ({
    deleted: await sessions.purgeExpired(db, clock.now()),
    rateLimits: await rateLimits.purgeExpired(db, clock.now()),
  }),
};
export default job;
