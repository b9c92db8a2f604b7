import { z } from 'zod';
import type { Job } from '../services/jobs/runtime.ts';
import * as digests from '../services/email/digests.ts';

const payload = z.object({ sendId: z.uuid() });

/**
 * One planned digest to one recipient, queued by `digests`. A SendGrid refusal throws,
 * and the queue tries again after a minute, then two, four, eight; the send's own record
 * (digest_sends) makes sure a retry never mails it twice.
 */
const job: Job = {
  name: digests.SEND_JOB,
  maxAttempts: digests.SEND_ATTEMPTS,
  backoffSeconds: 60,
  leaseSeconds: 120,
  run: async (ctx, input, handle) => digests.send(ctx, payload.parse(input).sendId, handle),
};
export default job;
