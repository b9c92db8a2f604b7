import pino, { type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** Query parameters whose values are secrets (magic links, OAuth codes, API keys). */
const SECRET_PARAMS = /^(token|code|state|key|secret|password|access_token|refresh_token|api_key|sig|signature)$/i;

/** A URL with the values of secret-looking query parameters replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) if (SECRET_PARAMS.test(key)) params.set(key, '[redacted]');
  return `${url.slice(0, q)}?${params.toString()}`;
}

export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'password',
  'password_hash',
  'token',
  'refresh_token',
  'access_token',
  'secret',
  'apiKey',
  'api_key',
  '*.password',
  '*.password_hash',
  '*.token',
  '*.refresh_token',
  '*.access_token',
  '*.secret',
  '*.apiKey',
  '*.api_key',
  '*._csrf',
  '*.sessionSecret',
  '*.databaseUrl',
  '*.jwtSecret',
  '*.sendgrid.apiKey',
  '*.google.clientSecret',
  '*.clientSecret',
  'secretAccessKey',
  '*.secretAccessKey',
  '*.s3.secretAccessKey',
  '*.receipts.s3.secretAccessKey',
  'req.headers["x-api-key"]',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}

/**
 * Readable lines for a developer's terminal: the time, the level, the message, and for a
 * request its method, path, status and duration on one line; written as they come (no
 * worker thread), so they stay in order with the start banner.
 */
export function readableLines(destination: NodeJS.WritableStream = process.stdout): DestinationStream {
  return pretty({
    destination,
    sync: true,
    colorize: Boolean((destination as { isTTY?: boolean }).isTTY),
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,req,res,responseTime,user,business',
    messageFormat: (log, messageKey) => {
      const req = log.req as { method?: string; url?: string } | undefined;
      const res = log.res as { statusCode?: number } | undefined;
      const message = String(log[messageKey] ?? '');
      return req && res ? `${req.method} ${req.url} ${res.statusCode} ${log.responseTime} ms${message === 'request completed' ? '' : ` (${message})`}` : message;
    },
  });
}

/** What a request log line keeps of a request: no headers, no body, secret query values hidden. */
export function serializeRequest(req: { id?: unknown; method?: string; url?: string; remoteAddress?: string }) {
  return { id: req.id, method: req.method, url: req.url ? redactUrl(req.url) : req.url, remoteAddress: req.remoteAddress };
}

export function serializeResponse(res: { statusCode?: number }) {
  return { statusCode: res.statusCode };
}
