import { UUID_PATTERN } from '../../core/ids.ts';
/**
 * Storage keys are ours, never a client's file name: `<businessId>/<receiptId>` for
 * the file and the same with `.thumb.webp` for its thumbnail; `imports/<businessId>/<batchId>.csv`
 * for a statement waiting to be imported.
 */
export const fileKey = (businessId: string, receiptId: string) => `${businessId}/${receiptId}`;
export const thumbnailKey = (businessId: string, receiptId: string) => `${businessId}/${receiptId}.thumb.webp`;
/** An uploaded statement waiting to be imported: any host's worker reads it from the same store. */
export const importFileKey = (businessId: string, batchId: string) => `imports/${businessId}/${batchId}.csv`;

const KEY = new RegExp(`^(${UUID_PATTERN}/${UUID_PATTERN}(\\.thumb\\.webp)?|imports/${UUID_PATTERN}/${UUID_PATTERN}\\.csv)$`);

/** Refuses a key that is not one of ours, so no store ever sees `..` or a client's name. */
export function assertKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`not a receipt storage key: ${key}`);
}
