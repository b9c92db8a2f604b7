import type { Job } from '../services/jobs/runtime.ts';
import * as imports from '../services/ledger/imports/index.ts';
import { z } from 'zod';

const payload = z.object({ batchId: z.uuid() });

/**
 * A statement import started from a page or the API: read from the receipt store in
 * chunks, staged, then landed in the ledger in one transaction (imports/index.ts). A
 * run cut off resumes from the last staged chunk, on whichever worker takes it over.
 */
const job: Job = {
  name: imports.IMPORT_JOB,
  maxAttempts: 3,
  backoffSeconds: 10,
  leaseSeconds: 60,
  run: async (ctx, input, handle) => imports.runBatch(ctx, payload.parse(input).batchId, handle),
};
export default job;
