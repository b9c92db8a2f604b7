import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
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

/**
 * Names every request (`req.id`, answered in X-Request-Id) and logs it once answered,
 * as "request completed" with its status and time: info below 400, warn for 4xx, error
 * for 5xx; assets only when they fail. `req.log` is made on first use, so a request
 * that logs nothing at a level that is on costs no child logger.
 */
export function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    const incoming = req.headers['x-request-id'];
    req.id = typeof incoming === 'string' && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    let child: Logger | undefined;
    Object.defineProperty(req, 'log', {
      configurable: true,
      get: () => (child ??= logger.child({ req: serializeRequest({ id: req.id, method: req.method, url: req.originalUrl, remoteAddress: req.socket.remoteAddress }) })),
    });
    const done = () => {
      res.off('finish', done);
      res.off('close', done);
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level) || (level === 'info' && ASSETS.test(req.originalUrl))) return;
      req.log[level]({ res: serializeResponse(res), responseTime: Math.round(performance.now() - started) }, 'request completed');
    };
    res.on('finish', done);
    res.on('close', done);
    next();
  };
}
