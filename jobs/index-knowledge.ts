import type { Job } from '../services/jobs.ts';
import { indexKnowledge } from '../services/knowledge.ts';

/**
 * Nightly, and on demand after editing knowledge/*.md (`npm run job -- index-knowledge`).
 * Start-up indexes too; this catches edits on a server that stays up. Only documents
 * whose content hash changed are chunked again.
 */
const job: Job = {
  name: 'index-knowledge',
  schedule: '41 3 * * *',
  run: async ({ db, clock }) => {
    const { indexed, unchanged, removed } = await indexKnowledge(db, clock);
    return { indexed, unchanged, removed };
  },
};
export default job;
