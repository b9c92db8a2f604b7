import type { Logger } from '../core/logger.ts';

/**
 * The one way Bursar talks to a provider: a `fetch` with a timeout per attempt, retries
 * with backoff on 429 and 5xx (and on a network error or timeout) that honour the
 * provider's `Retry-After`, and one log line per attempt naming the method, host, path,
 * status and time, never a header, query or body (they carry tokens). Provider SDKs are
 * given this fetch (Stripe's `createFetchHttpClient`), so they retry and log the same way.
 */
export type ProviderFetchOptions = {
  provider: string;
  logger: Logger;
  timeoutMs: number;
  /** Attempts in all, the first included (default 4). */
  attempts?: number;
  /** The first backoff when the provider names none; doubled each time (default 500 ms). */
  baseDelayMs?: number;
  /** The longest wait honoured from a Retry-After (default 60 s); a longer one ends the retries. */
  maxDelayMs?: number;
  /** How to wait; tests pass one that records the wait and returns at once. */
  sleep?: (ms: number) => Promise<void>;
  /** Defaults to the global fetch (tests may point it elsewhere). */
  fetch?: typeof fetch;
};

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), or null. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Math.round(Number(header) * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

const retryable = (status: number) => status === 429 || status >= 500;

export function providerFetch(opts: ProviderFetchOptions): typeof fetch {
  const attempts = opts.attempts ?? 4;
  const base = opts.baseDelayMs ?? 500;
  const maxDelay = opts.maxDelayMs ?? 60_000;
  const sleep = opts.sleep ?? realSleep;
  const doFetch = opts.fetch ?? fetch;

  return async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = init?.method ?? 'GET';
    const where = { provider: opts.provider, method, host: url.host, path: url.pathname };
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      let response: Response | null = null;
      let failure: unknown = null;
      try {
        const timeout = AbortSignal.timeout(opts.timeoutMs);
        response = await doFetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
      } catch (err) {
        failure = err;
      }
      const ms = Date.now() - started;
      const last = attempt >= attempts;
      if (response && !retryable(response.status)) {
        opts.logger.debug({ ...where, status: response.status, ms, attempt }, 'provider request');
        return response;
      }
      let wait = base * 2 ** (attempt - 1);
      if (response) {
        const asked = retryAfterMs(response.headers.get('retry-after'));
        if (asked !== null) wait = asked;
        if (last || wait > maxDelay) {
          opts.logger.warn({ ...where, status: response.status, ms, attempt }, 'provider request failed; not retrying');
          return response;
        }
        // The body of a response we drop must still be read, or its socket stays busy.
        await response.arrayBuffer().catch(() => undefined);
        opts.logger.warn({ ...where, status: response.status, ms, attempt, retry_in_ms: wait }, 'provider request refused; retrying');
      } else {
        const reason = failure instanceof Error ? (failure.name === 'TimeoutError' ? `timed out after ${opts.timeoutMs} ms` : failure.message) : String(failure);
        if (last) {
          opts.logger.warn({ ...where, ms, attempt, reason }, 'provider request failed; not retrying');
          throw failure;
        }
        opts.logger.warn({ ...where, ms, attempt, reason, retry_in_ms: wait }, 'provider request failed; retrying');
      }
      await sleep(wait);
    }
  };
}
