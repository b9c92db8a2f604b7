import type { Job } from '../services/jobs.ts';
import purgeSessions from './purge-sessions.ts';
import indexKnowledge from './index-knowledge.ts';

/** Every job Bursar runs; `npm run job -- NAME` runs one by hand. */
export const JOBS: Job[] = [purgeSessions, indexKnowledge];
