import type { Application } from 'express';

/** What a cached fragment may depend on of its business: the data version moves with every change a report shows. */
export type VersionedBusiness = { id: string; data_version: number; currency: string };

/** A rendered fragment or JSON body (text), or a whole page ready for the socket (bytes). */
type Entry = string | Buffer;

/**
 * Rendered report fragments (HTML, or a JSON body), and whole pages built around them,
 * kept in this process for as long as their business's data version has not moved. The
 * version is read with the signed-in user on every request, so a ledger write, a renamed
 * category or a new readiness score is seen on the next request by every process: an
 * entry for an old version is simply never asked for again, and falls out as the least
 * recently used.
 *
 * Concurrent requests for a key that is not there yet share one computation.
 */
export class FragmentCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<Entry>>();
  /** Characters of text plus bytes of pages. */
  private used = 0;

  constructor(private readonly maxSize: number) {}

  async getOrCreate<T extends Entry>(key: string, create: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key) as T | undefined;
    if (hit !== undefined) {
      // Map order is insertion order: moving the entry to the end keeps the oldest first.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const waiting = this.pending.get(key) as Promise<T> | undefined;
    if (waiting) return waiting;
    const made = create().finally(() => this.pending.delete(key));
    this.pending.set(key, made);
    const value = await made;
    this.store(key, value);
    return value;
  }

  get size(): number {
    return this.entries.size;
  }

  private store(key: string, value: Entry): void {
    if (value.length > this.maxSize / 4) return;
    const old = this.entries.get(key);
    if (old !== undefined) this.used -= old.length;
    this.entries.set(key, value);
    this.used += value.length;
    for (const [k, v] of this.entries) {
      if (this.used <= this.maxSize) break;
      this.entries.delete(k);
      this.used -= v.length;
    }
  }
}

/** The key of a business's fragment: its id, data version and currency, then what the route adds (view, range). */
export function fragmentKey(business: VersionedBusiness, ...parts: string[]): string {
  return [business.id, business.data_version, business.currency, ...parts].join('|');
}

const SETTING = 'fragment cache';

/** 32 M characters and bytes at most; a dashboard's cards are about 17 kB, its page 22 kB. */
export function attachFragmentCache(app: Application, maxSize = 32 * 1024 * 1024): FragmentCache {
  const cache = new FragmentCache(maxSize);
  app.set(SETTING, cache);
  return cache;
}

export function fragmentCache(app: Application): FragmentCache {
  return app.get(SETTING) as FragmentCache;
}
