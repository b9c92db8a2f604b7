import type { Job } from '../services/jobs/runtime.ts';
import * as aggregates from '../services/reports/aggregates.ts';

/**
 * By hand (`npm run job -- rebuild-aggregates`) or nightly: triggers keep the report
 * aggregates current, so a rebuild should change nothing; it repairs them after a
 * manual fix in SQL with triggers disabled, or a restore of a partial dump.
 */
const job: Job = {
  name: 'rebuild-aggregates',
  schedule: '41 3 * * *',
  run: async ({ db }) => aggregates.rebuild(db),
};
export default job;
