import type { Job } from '../services/jobs/runtime.ts';
import { applyPending, STRIPE_EVENTS_JOB } from '../services/integrations/stripe/events.ts';

/** Applies the Stripe webhook events stored by the webhook route, oldest first; queued by each new delivery. */
const job: Job = {
  name: STRIPE_EVENTS_JOB,
  maxAttempts: 5,
  backoffSeconds: 30,
  leaseSeconds: 120,
  run: async (ctx, _input, handle) => applyPending(ctx, handle),
};
export default job;
