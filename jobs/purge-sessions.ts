import type { Job } from '../services/jobs.ts';
import * as sessions from '../services/sessions.ts';

/** Hourly: expired sessions are dead weight in the table every request reads from. */
const job: Job = {
  name: 'purge-sessions',
  schedule: '17 * * * *',
  run: async ({ db, clock }) => ({ deleted: await sessions.purgeExpired(db, clock.now()) }),
};
export default job;
