import { UUID_PATTERN } from '../../core/ids.ts';
/**
 * Storage keys are ours, never a client's file name: `<businessId>/<receiptId>` for
 * the file and the same with `.thumb.webp` for its thumbnail.
 */
export const fileKey = (businessId: string, receiptId: string) => `${businessId}/${receiptId}`;
export const thumbnailKey = (businessId: string, receiptId: string) => `${businessId}/${receiptId}.thumb.webp`;

const KEY = new RegExp(`^${UUID_PATTERN}/${UUID_PATTERN}(\\.thumb\\.webp)?$`);

/** Refuses a key that is not one of ours, so no store ever sees `..` or a client's name. */
export function assertKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`not a receipt storage key: ${key}`);
}
