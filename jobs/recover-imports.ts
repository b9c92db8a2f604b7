import type { Job } from '../services/jobs/runtime.ts';
import * as imports from '../services/ledger/imports/index.ts';

/**
 * Every two minutes: an import cut off by a crash or a deploy is offered to run again,
 * never left "running"; an upload left unimported for a week gives up its file.
 */
const job: Job = {
  name: 'recover-imports',
  schedule: '*/2 * * * *',
  run: async ({ db, clock }) => ({ recovered: await imports.recoverInterrupted(db), expired: await imports.expireAbandoned(db, clock.now()) }),
};
export default job;
