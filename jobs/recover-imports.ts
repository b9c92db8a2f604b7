import type { Job } from '../services/jobs.ts';
import * as imports from '../services/imports/index.ts';

/** Every two minutes: an import cut off by a crash or a deploy is offered to run again, never left "running". */
const job: Job = {
  name: 'recover-imports',
  schedule: '*/2 * * * *',
  run: async ({ db }) => ({ recovered: await imports.recoverInterrupted(db) }),
};
export default job;
