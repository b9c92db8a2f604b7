import type { Job } from '../services/jobs/runtime.ts';
import * as sessions from '../services/access/sessions.ts';
import * as rateLimits from '../services/access/rate-limits.ts';
import * as signIn from '../services/access/sign-in.ts';

/**
 * Hourly: expired sessions are dead weight in the table every request reads from;
 * rate-limit counters whose window has ended are too (sign-ins upsert into it), and so
 * are magic-link and reset tokens past their expiry.
 */
const job: Job = {
  name: 'purge-sessions',
  schedule: '17 * * * *',
  run: async ({ db, clock }) => ({
    deleted: await sessions.purgeExpired(db, clock.now()),
    rateLimits: await rateLimits.purgeExpired(db, clock.now()),
    emailTokens: await signIn.purgeExpiredTokens(db, clock.now()),
  }),
};
export default job;
