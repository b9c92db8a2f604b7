import type { Job } from '../services/jobs/runtime.ts';
import * as metrics from '../services/reports/metrics.ts';
import * as readiness from '../services/readiness/scores.ts';
import * as forecasting from '../services/reports/forecast/forecast.ts';
import { isoDate } from '../services/core/clock.ts';

/**
 * Hourly: today's snapshot is replaced as new ledger rows arrive (imports, syncs),
 * so the metrics page, the readiness score and the agent's stored forecast are at most
 * an hour behind.
 */
const job: Job = {
  name: 'compute-metrics',
  schedule: '7 * * * *',
  run: async ({ db, clock }) => {
    const asOf = isoDate(clock.now());
    const snapshots = await metrics.snapshotAll(db, asOf, clock.now());
    // The readiness score is recomputed from the snapshots just taken.
    const scores = await readiness.refreshAll(db, clock, asOf, { withRecommendations: false, snapshotIsFresh: true });
    // The agent's cash_forecast reads a stored forecast, so a question does not wait for 10,000 paths.
    const forecasts = await forecasting.snapshotAll(db, asOf, clock.now());
    return { ...snapshots, ...scores, ...forecasts };
  },
};
export default job;
