import { z } from 'zod';
import type { Job } from '../services/jobs/runtime.ts';
import { STRIPE_SYNC_JOB, syncStripe } from '../services/integrations/stripe/sync.ts';

const payload = z.object({ businessId: z.uuid() });

/**
 * One business's Stripe account: the backfill on connecting, then what is new since
 * (queued by payout events and by the nightly sweep; `npm run job -- stripe-sync --business ID`
 * by hand). Resumes from its cursor after a crash; a refusal of access is not retried.
 */
const job: Job = {
  name: STRIPE_SYNC_JOB,
  maxAttempts: 5,
  backoffSeconds: 60,
  leaseSeconds: 120,
  run: async (ctx, input, handle) => syncStripe(ctx, payload.parse(input).businessId, handle),
};
export default job;
