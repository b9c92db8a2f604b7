import type { Job } from '../services/jobs.ts';
import * as metrics from '../services/metrics.ts';
import { isoDate } from '../services/core/clock.ts';

/**
 * Hourly: today's snapshot is replaced as new ledger rows arrive (imports, syncs),
 * so the metrics page and the readiness score are at most an hour behind.
 */
const job: Job = {
  name: 'compute-metrics',
  schedule: '7 * * * *',
  run: async ({ db, clock }) => metrics.snapshotAll(db, isoDate(clock.now())),
};
export default job;
