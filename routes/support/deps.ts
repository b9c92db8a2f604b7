import type { Db } from '../../services/core/db.ts';
import type { Config } from '../../services/core/config.ts';
import type { Clock } from '../../services/core/clock.ts';
import type { Logger } from '../../services/core/logger.ts';

/** What every router is built from; tests pass their own database, clock and logger. */
export type AppDeps = { db: Db; config: Config; clock: Clock; logger: Logger };
