import type { Job } from '../services/jobs/runtime.ts';
import * as readiness from '../services/readiness/scores.ts';
import { isoDate } from '../services/core/clock.ts';

/** Daily, early morning: recommendations follow the day's figures; open ones close when their condition clears. */
const job: Job = {
  name: 'refresh-recommendations',
  schedule: '40 5 * * *',
  run: async ({ db, clock }) => readiness.refreshAll(db, clock, isoDate(clock.now()), { withRecommendations: true }),
};
export default job;
