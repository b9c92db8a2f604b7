import type { Response } from 'express';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A Content-Disposition value: an ASCII `filename` for old clients, `filename*` (RFC 5987) for the real name. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * Streams a stored file with the type we sniffed at upload, never one a client gave,
 * and `nosniff` so the browser does not guess another. Private: it is one business's.
 */
export async function sendStoredFile(res: Response, file: { body: Readable; contentType: string; size?: number; etag: string; name: string; disposition: 'inline' | 'attachment' }): Promise<void> {
  res.set({
    'Content-Type': file.contentType,
    'Content-Disposition': contentDisposition(file.disposition, file.name),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'private, max-age=3600',
    ETag: `"${file.etag}"`,
  });
  if (file.size !== undefined) res.set('Content-Length', String(file.size));
  await pipeline(file.body, res);
}
