import type { Job } from '../services/jobs/runtime.ts';
import { STRIPE_SWEEP_JOB, sweep } from '../services/integrations/stripe/events.ts';
import { stripeConfigured } from '../services/integrations/stripe/client.ts';

/**
 * Nightly: every connected account's events of the last three days, so a webhook that
 * never reached Bursar is applied anyway.
 */
const job: Job = {
  name: STRIPE_SWEEP_JOB,
  schedule: '40 3 * * *',
  leaseSeconds: 300,
  run: async (ctx) => (stripeConfigured(ctx.config) ? sweep(ctx) : { skipped: 'Stripe is not configured' }),
};
export default job;
