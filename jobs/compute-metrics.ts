import type { Job } from '../services/jobs.ts';
import * as metrics from '../services/metrics.ts';
import * as readiness from '../services/readiness.ts';
import { isoDate } from '../services/core/clock.ts';

/**
 * Hourly: today's snapshot is replaced as new ledger rows arrive (imports, syncs),
 * so the metrics page and the readiness score are at most an hour behind.
 */
const job: Job = {
  name: 'compute-metrics',
  schedule: '7 * * * *',
  run: async ({ db, clock }) => {
    const asOf = isoDate(clock.now());
    const snapshots = await metrics.snapshotAll(db, asOf);
    // The readiness score is recomputed from the snapshots just taken.
    const scores = await readiness.refreshAll(db, clock, asOf, { withRecommendations: false, snapshotIsFresh: true });
    return { ...snapshots, ...scores };
  },
};
export default job;
