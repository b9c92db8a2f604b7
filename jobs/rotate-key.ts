import type { Job } from '../services/jobs/runtime.ts';
import { rotateCredentials } from '../services/integrations/secrets.ts';

/**
 * By hand after ENCRYPTION_KEY gains a new first key (`npm run job -- rotate-key`): every
 * stored credential is sealed again with it. The old key can leave ENCRYPTION_KEY once
 * this reports nothing left under it.
 */
const job: Job = {
  name: 'rotate-key',
  maxAttempts: 1,
  run: async ({ db, config }) => rotateCredentials(db, config),
};
export default job;
