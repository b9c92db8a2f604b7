import type { Job } from '../services/jobs/runtime.ts';
import purgeSessions from './purge-sessions.ts';
import rebuildAggregates from './rebuild-aggregates.ts';
import computeMetrics from './compute-metrics.ts';
import refreshRecommendations from './refresh-recommendations.ts';
import syncRates from './sync-rates.ts';
import indexKnowledge from './index-knowledge.ts';
import recoverImports from './recover-imports.ts';
import refreshFigures from './refresh-figures.ts';
import runImport from './run-import.ts';
import stripeSync from './stripe-sync.ts';
import stripeEvents from './stripe-events.ts';
import stripeSweep from './stripe-sweep.ts';
import rotateKey from './rotate-key.ts';

/** Every job Bursar runs: scheduled ones have a schedule; `npm run job -- NAME` runs one by hand. */
export const JOBS: Job[] = [
  purgeSessions,
  rebuildAggregates,
  computeMetrics,
  refreshRecommendations,
  syncRates,
  indexKnowledge,
  recoverImports,
  refreshFigures,
  runImport,
  stripeSync,
  stripeEvents,
  stripeSweep,
  rotateKey,
];
