import type { Readable } from 'node:stream';
import type { ReceiptsConfig } from '../../core/config.ts';
import { diskStore } from './disk.ts';
import { s3Store } from './s3.ts';

/**
 * Where receipt bytes live, by key. Keys are ours (`<businessId>/<receiptId>...`),
 * never a client's file name. The database row says which business a key belongs
 * to; a store knows nothing of businesses.
 */
export interface ReceiptStore {
  /** Stores the bytes under the key, replacing any there. `sha256` (hex) lets a store check what arrived. */
  put(key: string, body: Readable, meta: { contentType: string; size: number; sha256: string }): Promise<void>;
  /** The stored bytes; throws NotFound when nothing is stored under the key. */
  get(key: string): Promise<Readable>;
  /** Removes the key; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
}

/** The store RECEIPTS_STORAGE names. */
export function createReceiptStore(config: ReceiptsConfig): ReceiptStore {
  if (config.storage === 's3') {
    if (!config.s3) throw new Error('RECEIPTS_STORAGE=s3 needs S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY');
    return s3Store(config.s3);
  }
  return diskStore(config.dir);
}
