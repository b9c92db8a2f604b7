import type { Job } from '../services/jobs/runtime.ts';
import { indexKnowledge } from '../services/agent/knowledge.ts';
import { embedderFor } from '../services/agent/embeddings.ts';

/**
 * Nightly, and on demand after editing knowledge/*.md (`npm run job -- index-knowledge`).
 * Start-up indexes too; this catches edits on a server that stays up. Only documents
 * whose content hash changed are chunked again, and only chunks without an embedding of
 * their current text (when an embeddings model is configured) are embedded.
 */
const job: Job = {
  name: 'index-knowledge',
  schedule: '41 3 * * *',
  run: async ({ db, clock, config, logger }) => {
    const result = await indexKnowledge(db, clock, undefined, embedderFor(config));
    if (result.embedding_error) logger.warn({ reason: result.embedding_error }, 'knowledge base not embedded: search stays full-text');
    return result;
  },
};
export default job;
