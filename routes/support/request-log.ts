import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import { pinoHttp } from 'pino-http';
import { serializeRequest, serializeResponse, type Logger } from '../../services/core/logger.ts';

declare global {
  namespace Express {
    interface Request {
      /** The request id: a well-formed X-Request-Id from the proxy, else a new uuid. */
      id: string;
      /** A logger whose lines carry this request (id, method, url with secrets hidden). */
      log: Logger;
    }
  }
}

const ASSETS = /^\/(vendor|static)\//;
const STARTED = Symbol('when the request arrived');

type Timed = ServerResponse & { [STARTED]?: number; locals?: Response['locals'] };

/**
 * One line per answered request (pino-http), "request completed" with its id, user,
 * business, status and duration: info below 400, warn for 4xx and for a request slower
 * than `slowMs` ("slow request"), error for 5xx. Assets only when they fail. In
 * development a plain success is a debug line (LOG_LEVEL=debug shows them), so the start
 * banner and what goes wrong are not buried under every fragment the pages ask for.
 * Every request is named (`req.id`, answered in X-Request-Id).
 */
export function requestLog(logger: Logger, opts: { slowMs: number; quietSuccess: boolean }) {
  return pinoHttp({
    logger,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      (res as Timed)[STARTED] = performance.now();
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel: (req, res, err) => {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      if (isSlow(res, opts.slowMs)) return 'warn';
      if (ASSETS.test((req as Request).originalUrl ?? req.url ?? '')) return 'silent';
      return opts.quietSuccess ? 'debug' : 'info';
    },
    customSuccessMessage: (_req, res) => (isSlow(res, opts.slowMs) ? 'slow request' : 'request completed'),
    customErrorMessage: () => 'request completed',
    customProps: (_req, res) => {
      const locals = (res as Timed).locals;
      return { user: locals?.user?.id, business: locals?.business?.id };
    },
    serializers: {
      req: (req: { id?: unknown; method?: string; url?: string; remoteAddress?: string }) => serializeRequest(req),
      res: (res: { statusCode?: number }) => serializeResponse(res),
    },
  });
}

function isSlow(res: ServerResponse, slowMs: number): boolean {
  const started = (res as Timed)[STARTED];
  return started !== undefined && performance.now() - started > slowMs;
}
