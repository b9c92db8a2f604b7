import type { NextFunction, Request, Response } from 'express';
import * as rateLimits from '../../services/access/rate-limits.ts';
import type { AppDeps } from './deps.ts';

/**
 * A per-user allowance for requests that cost seconds of work (a forecast, an export,
 * an import upload), counted in the database so every process shares it: one user
 * cannot keep the machine busy for everyone else. Over it is a 429 with Retry-After.
 */
export function limitHeavy({ db, clock, config }: AppDeps, work: string) {
  return async (_req: Request, res: Response, next: NextFunction) => {
    const userId = res.locals.user?.id as string | undefined;
    if (!userId) return next();
    await rateLimits.consume(db, clock.now(), [{ key: `heavy:${work}:user:${userId}`, points: config.rateLimits.heavyPerMinute, windowSeconds: 60 }]);
    next();
  };
}
