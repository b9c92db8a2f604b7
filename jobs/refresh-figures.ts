import type { Job } from '../services/jobs/runtime.ts';
import * as figures from '../services/jobs/figures.ts';
import { z } from 'zod';

const payload = z.object({ businessId: z.uuid() });

/**
 * Enqueued (never scheduled) when a business's data has moved since its figures were
 * computed: see services/jobs/figures.ts. The hourly compute-metrics is the safety net.
 */
const job: Job = {
  name: figures.REFRESH_JOB,
  backoffSeconds: 30,
  leaseSeconds: 120,
  run: async ({ db, clock }, input) => figures.refresh(db, clock, payload.parse(input).businessId),
};
export default job;
