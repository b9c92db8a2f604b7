import type { Db } from '../../services/core/db.ts';
import type { Config } from '../../services/core/config.ts';
import type { Clock } from '../../services/core/clock.ts';
import type { Logger } from '../../services/core/logger.ts';
import type { RunOutcome } from '../../services/jobs/runtime.ts';

/** A worker in this process, if it has one (embedded mode, tests): woken when a route enqueues work, or asked to run one job. */
export type LocalJobs = { nudge(): void; runOne(queueId: string): Promise<RunOutcome | null> };

/** What every router is built from; tests pass their own database, clock and logger. */
export type AppDeps = { db: Db; config: Config; clock: Clock; logger: Logger; jobs?: LocalJobs; control?: { token: string } };
