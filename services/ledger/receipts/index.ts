import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import type { Db } from '../../core/db.ts';
import type { Logger } from '../../core/logger.ts';
import { NotFound, TooLarge, Validation } from '../../core/errors.ts';
import * as expenses from '../expenses.ts';
import { fileKey, thumbnailKey } from './keys.ts';
import { SNIFF_BYTES, sniff } from './sniff.ts';
import { readHead, sha256Of } from '../../core/files.ts';
import type { ReceiptStore } from './store.ts';
import { isUuid } from '../../core/ids.ts';

export { createReceiptStore, type ReceiptStore } from './store.ts';

/**
 * Receipts attached to expenses: the row here, the bytes in a ReceiptStore. Every
 * function takes the business and the expense and looks the receipt up through both,
 * so an id from another business, or from another expense, is simply not found.
 */
export type Receipt = {
  id: string;
  ledger_entry_id: string;
  content_type: string;
  byte_size: number;
  sha256: string;
  original_name: string;
  has_thumbnail: boolean;
  uploaded_by: string | null;
  uploader_name: string | null;
  created_at: string;
};

/** A file the upload middleware left on disk. */
export type UploadedFile = { path: string; originalname: string; size: number };

type Actor = { userId: string | null; now: Date };

/** Thumbnails are small squares, as the expense list shows them (twice the CSS size, for sharp screens). */
const THUMBNAIL_PX = 96;

const COLUMNS = ['r.id', 'r.ledger_entry_id', 'r.content_type', 'r.byte_size', 'r.sha256', 'r.original_name', 'r.uploaded_by', 'u.name as uploader_name', 'r.created_at'];

function scoped(db: Db, businessId: string, expenseId: string) {
  return db('receipts as r').leftJoin('users as u', 'u.id', 'r.uploaded_by').where({ 'r.business_id': businessId, 'r.ledger_entry_id': expenseId });
}

type Row = Omit<Receipt, 'has_thumbnail'> & { has_thumbnail: boolean };

/** The receipts of one expense of the business, oldest first. NotFound when the expense is not the business's. */
export async function list(db: Db, businessId: string, expenseId: string): Promise<Receipt[]> {
  await expenses.find(db, businessId, expenseId);
  return scoped(db, businessId, expenseId)
    .orderBy([{ column: 'r.created_at' }, { column: 'r.id' }])
    .select<Row[]>([...COLUMNS, db.raw('r.thumbnail_key is not null as has_thumbnail')]);
}

type Stored = Receipt & { storage_key: string; thumbnail_key: string | null };

/** One receipt of one expense of the business; throws NotFound otherwise (another business's id included). */
export async function find(db: Db, businessId: string, expenseId: string, receiptId: string): Promise<Stored> {
  if (!isUuid(receiptId)) throw new NotFound('There is no such receipt.');
  await expenses.find(db, businessId, expenseId);
  const row = await scoped(db, businessId, expenseId)
    .where('r.id', receiptId)
    .first([...COLUMNS, 'r.storage_key', 'r.thumbnail_key', db.raw('r.thumbnail_key is not null as has_thumbnail')]);
  if (!row) throw new NotFound('There is no such receipt.');
  return row;
}

/** A receipt and its bytes, for a download. NotFound as find(), or when the store lost the file. */
export async function open(db: Db, store: ReceiptStore, businessId: string, expenseId: string, receiptId: string) {
  const receipt = await find(db, businessId, expenseId, receiptId);
  return { receipt, body: await store.get(receipt.storage_key) };
}

/** A receipt's thumbnail (image/webp); NotFound when it has none (a PDF, a HEIC photo). */
export async function openThumbnail(db: Db, store: ReceiptStore, businessId: string, expenseId: string, receiptId: string) {
  const receipt = await find(db, businessId, expenseId, receiptId);
  if (!receipt.thumbnail_key) throw new NotFound('This receipt has no thumbnail.');
  return { receipt, body: await store.get(receipt.thumbnail_key) };
}

/** A small square WebP of an image, or null for a format sharp's bundled libvips cannot read (HEIC). */
async function thumbnailOf(path: string, contentType: string): Promise<Buffer | null> {
  if (contentType === 'image/heic') return null;
  try {
    // rotate() applies the EXIF orientation, so a phone photo's thumbnail stands upright.
    return await sharp(path, { limitInputPixels: 100_000_000 }).rotate().resize(THUMBNAIL_PX, THUMBNAIL_PX, { fit: 'cover' }).webp({ quality: 70 }).toBuffer();
  } catch {
    throw new Validation({ file: ['That image could not be read; it may be damaged. Try another copy.'] });
  }
}

/**
 * Attaches an uploaded file to an expense of the business. The type is sniffed from
 * the bytes: anything but JPEG, PNG, WebP, HEIC or PDF is refused with Validation, a
 * file over `maxBytes` with TooLarge; nothing is stored on a refusal. NotFound when
 * the expense is not the business's. The caller removes the uploaded file.
 */
export async function attach(db: Db, store: ReceiptStore, businessId: string, actor: Actor, expenseId: string, file: UploadedFile, maxBytes: number): Promise<Receipt> {
  await expenses.find(db, businessId, expenseId);
  if (file.size > maxBytes) throw tooLarge(maxBytes);
  if (file.size === 0) throw new Validation({ file: ['That file is empty.'] });
  const type = sniff(await readHead(file.path, SNIFF_BYTES));
  if (!type) throw new Validation({ file: ['Attach a photo (JPEG, PNG, WebP, HEIC) or a PDF. This file is neither, whatever its name says.'] });
  const thumbnail = type.isImage ? await thumbnailOf(file.path, type.contentType) : null;

  const id = randomUUID();
  const key = fileKey(businessId, id);
  const thumbKey = thumbnail ? thumbnailKey(businessId, id) : null;
  const sha256 = await sha256Of(file.path);
  await store.put(key, createReadStream(file.path), { contentType: type.contentType, size: file.size, sha256 });
  try {
    if (thumbnail && thumbKey) {
      await store.put(thumbKey, Readable.from(thumbnail), { contentType: 'image/webp', size: thumbnail.length, sha256: createHash('sha256').update(thumbnail).digest('hex') });
    }
    await db('receipts').insert({
      id,
      business_id: businessId,
      ledger_entry_id: expenseId,
      storage_key: key,
      content_type: type.contentType,
      byte_size: file.size,
      sha256,
      original_name: cleanName(file.originalname, type.extension),
      thumbnail_key: thumbKey,
      uploaded_by: actor.userId,
      created_at: actor.now,
    });
  } catch (err) {
    // Nothing half-attached: the bytes go when the row could not be written.
    await Promise.all([store.delete(key), thumbKey ? store.delete(thumbKey) : null]);
    throw err;
  }
  return find(db, businessId, expenseId, id);
}

/** Detaches a receipt and deletes its bytes. NotFound as find(). */
export async function remove(db: Db, store: ReceiptStore, businessId: string, expenseId: string, receiptId: string): Promise<Receipt> {
  const receipt = await find(db, businessId, expenseId, receiptId);
  await db('receipts').where({ id: receipt.id, business_id: businessId }).delete();
  // After the row: a failure here leaves an unreferenced file, never a row without one.
  await store.delete(receipt.storage_key);
  if (receipt.thumbnail_key) await store.delete(receipt.thumbnail_key);
  return receipt;
}

/** Every storage key of the business, read before the business is deleted: no cascade reaches the store. */
export async function storageKeys(db: Db, businessId: string): Promise<string[]> {
  const rows: { storage_key: string; thumbnail_key: string | null }[] = await db('receipts').where({ business_id: businessId }).select('storage_key', 'thumbnail_key');
  const files = rows.flatMap((r) => (r.thumbnail_key ? [r.storage_key, r.thumbnail_key] : [r.storage_key]));
  // Statements still waiting in the store for an import.
  const statements: string[] = await db('import_batches').where({ business_id: businessId }).whereNotNull('file_key').pluck('file_key');
  return [...files, ...statements];
}

/**
 * Deletes stored files, e.g. a deleted business's. Goes on past a failure, so one
 * unreachable file does not keep the rest; each failure is logged with its key.
 */
export async function deleteStored(store: ReceiptStore, keys: string[], logger: Logger): Promise<void> {
  for (const key of keys) {
    await store.delete(key).catch((err: unknown) => logger.error({ err, key }, 'could not delete a receipt file'));
  }
}

export function tooLarge(maxBytes: number): TooLarge {
  return new TooLarge({ file: [`Receipts can be at most ${formatBytes(maxBytes)}; this file is larger.`] });
}

/** A byte count as a person reads it: 512 B, 48 KB, 10 MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`;
}

/** The client's file name for display and downloads only: no path, no control characters, our extension. */
export function cleanName(name: string, extension: string): string {
  const base = name
    .split(/[\\/]/)
    .pop()!
    .replace(/[\u0000-\u001f\u007f"]/g, '')
    .trim()
    .slice(0, 120)
    .replace(/\.[^.]*$/, '');
  return `${base || 'receipt'}.${extension}`;
}
