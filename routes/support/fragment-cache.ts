import type { Application } from 'express';
import { LRUCache } from 'lru-cache';

/** What a cached fragment may depend on of its business: the data version moves with every change a report shows. */
export type VersionedBusiness = { id: string; data_version: number; currency: string };

/**
 * Rendered report fragments (HTML, or a JSON body) kept in this process for as long as
 * their business's data version has not moved. The version is read with the signed-in user
 * on every request, so a ledger write, a renamed category or a new readiness score is seen
 * on the next request by every process: an entry for an old version is simply never asked
 * for again, and falls out as the least recently used. Nothing here depends on who asks,
 * so nothing needs listing or clearing by hand; whole pages are not kept (they carry the
 * session's CSRF token and the viewer's name, and under pm2 a session's next request goes to
 * any of the workers).
 *
 * Bounded in bytes (UTF-8); concurrent requests for a key that is not there yet share one
 * computation, and a failed one is not kept.
 */
export class FragmentCache {
  private readonly lru: LRUCache<string, string, () => Promise<string>>;

  constructor(maxBytes: number) {
    this.lru = new LRUCache({
      maxSize: maxBytes,
      maxEntrySize: Math.max(1, Math.floor(maxBytes / 4)),
      sizeCalculation: (value) => Math.max(1, Buffer.byteLength(value)),
      fetchMethod: (_key, _stale, { context }) => context(),
    });
  }

  async getOrCreate(key: string, create: () => Promise<string>): Promise<string> {
    const value = await this.lru.fetch(key, { context: create });
    return value ?? create();
  }

  get size(): number {
    return this.lru.size;
  }
}

/** The key of a business's fragment: its id, data version and currency, then what the route adds (view, range). */
export function fragmentKey(business: VersionedBusiness, ...parts: string[]): string {
  return [business.id, business.data_version, business.currency, ...parts].join('|');
}

const SETTING = 'fragment cache';

/** 32 MB at most per process; a dashboard's cards are about 17 kB. */
export function attachFragmentCache(app: Application, maxBytes = 32 * 1024 * 1024): FragmentCache {
  const cache = new FragmentCache(maxBytes);
  app.set(SETTING, cache);
  return cache;
}

export function fragmentCache(app: Application): FragmentCache {
  return app.get(SETTING) as FragmentCache;
}
