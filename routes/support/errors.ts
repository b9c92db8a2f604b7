import type { NextFunction, Request, Response } from 'express';
import { AppError, NotFound, RateLimited } from '../../services/core/errors.ts';
import type { Logger } from '../../services/core/logger.ts';
import { isDatabaseUnavailable } from '../../services/core/db.ts';
import { wantsJson } from './render.ts';
import { csrfToken } from './csrf.ts';

export function notFound(_req: Request, _res: Response, next: NextFunction): void {
  next(new NotFound('There is no page at this address.'));
}

/**
 * The one place errors become responses: typed errors keep their status and
 * message; anything else is a 500 that is logged with the request id, which the
 * page shows so a user can quote it.
 */
export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const requestId = String(req.id ?? '');
    let status = 500;
    let code = 'internal';
    let message = 'Something went wrong on our side.';
    let details: Record<string, string[]> | undefined;
    if (err instanceof AppError) {
      ({ status, code, message, details } = err);
      if (err instanceof RateLimited) res.set('Retry-After', String(err.retryAfterSeconds));
    } else if (isDatabaseUnavailable(err)) {
      // A database restart or outage: nothing the user did, and over once it is back.
      status = 503;
      code = 'unavailable';
      message = 'Bursar cannot reach its database right now. Please try again in a moment.';
      res.set('Retry-After', '5');
      (req.log ?? logger).warn({ requestId, reason: (err as Error).message }, 'database unavailable');
    } else if (isClientError(err)) {
      status = err.status;
      code = status === 413 ? 'too_large' : 'bad_request';
      message = status === 413 ? 'That upload is too large.' : 'The request could not be read.';
    }
    if (status >= 500 && status !== 503) (req.log ?? logger).error({ err, requestId }, 'request failed');
    // Part of the body is out (a streamed export): end the connection so the client sees a failed download, not a hang.
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (wantsJson(req)) {
      res.status(status).json({ error: { code, message, ...(details ? { details } : {}), ...(status >= 500 ? { request_id: requestId } : {}) } });
      return;
    }
    res.status(status).render('pages/error.njk', {
      status,
      message,
      requestId: status >= 500 && status !== 503 ? requestId : null,
      path: req.originalUrl,
      csrfToken: req.session ? csrfToken(req) : undefined,
      flash: [],
    });
  };
}

function isClientError(err: unknown): err is { status: number } {
  const status = (err as { status?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
