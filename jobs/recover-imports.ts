import type { Job } from '../services/jobs/runtime.ts';
import * as imports from '../services/ledger/imports/index.ts';
import { createReceiptStore } from '../services/ledger/receipts/store.ts';

/**
 * Every two minutes: an import the queue no longer holds is offered to run again, never
 * left "running"; an upload left unimported for a week gives up its file.
 */
const job: Job = {
  name: 'recover-imports',
  schedule: '*/2 * * * *',
  run: async ({ db, clock, config }) => ({
    recovered: await imports.recoverInterrupted(db),
    expired: await imports.expireAbandoned(db, createReceiptStore(config.receipts), clock.now()),
  }),
};
export default job;
