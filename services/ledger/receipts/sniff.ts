/**
 * What a receipt file really is, read from its first bytes. The client's
 * Content-Type and file name are never trusted: a text file renamed `.png` is text.
 */
export type ReceiptType = { contentType: string; extension: string; isImage: boolean };

const TYPES = {
  jpeg: { contentType: 'image/jpeg', extension: 'jpg', isImage: true },
  png: { contentType: 'image/png', extension: 'png', isImage: true },
  webp: { contentType: 'image/webp', extension: 'webp', isImage: true },
  heic: { contentType: 'image/heic', extension: 'heic', isImage: true },
  pdf: { contentType: 'application/pdf', extension: 'pdf', isImage: false },
} satisfies Record<string, ReceiptType>;

/** How many leading bytes sniff() needs. */
export const SNIFF_BYTES = 16;

const startsWith = (head: Uint8Array, bytes: number[], at = 0) => bytes.every((b, i) => head[at + i] === b);
const ascii = (head: Uint8Array, from: number, to: number) => Buffer.from(head.subarray(from, to)).toString('latin1');

// HEIC/HEIF photos (what phones save) are an ISO box `ftyp` with one of these brands.
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

/** The receipt type of a file from its first SNIFF_BYTES bytes, or null when it is none we accept. */
export function sniff(head: Uint8Array): ReceiptType | null {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return TYPES.jpeg;
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return TYPES.png;
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return TYPES.webp;
  if (ascii(head, 0, 5) === '%PDF-') return TYPES.pdf;
  if (ascii(head, 4, 8) === 'ftyp' && HEIF_BRANDS.has(ascii(head, 8, 12))) return TYPES.heic;
  return null;
}

/** Every content type sniff() can answer, for the download route's allow-list. */
export const RECEIPT_CONTENT_TYPES: readonly string[] = Object.values(TYPES).map((t) => t.contentType);
