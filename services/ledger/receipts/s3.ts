import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { S3Config } from '../../core/config.ts';
import { NotFound } from '../../core/errors.ts';
import { assertKey } from './keys.ts';
import { EMPTY_SHA256, signRequest, uriEncode } from './sigv4.ts';
import type { ReceiptStore } from './store.ts';

/** An S3 error response's `<Code>` (e.g. NoSuchKey, AccessDenied), or the status when the body has none. */
async function errorCode(res: Response): Promise<string> {
  const body = await res.text().catch(() => '');
  return /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? `HTTP ${res.status}`;
}

/**
 * Receipts in an S3-compatible bucket (AWS S3, MinIO, R2, ...), path-style, signed
 * with SigV4 over fetch. The SDK would bring a hundred packages for three calls.
 */
export function s3Store(config: S3Config): ReceiptStore {
  const base = config.endpoint.replace(/\/+$/, '');
  const urlOf = (key: string) => {
    assertKey(key);
    return new URL(`${base}/${uriEncode(config.bucket)}/${key.split('/').map(uriEncode).join('/')}`);
  };
  const signed = (method: string, url: URL, payloadSha256: string, headers: Record<string, string> = {}) =>
    signRequest({ method, url, headers, payloadSha256, region: config.region, accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey, now: new Date() });

  async function fail(op: string, key: string, res: Response): Promise<never> {
    // The key and the code only: never the request's headers, which carry the signature.
    throw new Error(`S3 ${op} ${key} failed: ${res.status} ${await errorCode(res)}`);
  }

  return {
    async put(key, body, meta) {
      const url = urlOf(key);
      const headers = signed('PUT', url, meta.sha256, { 'content-length': String(meta.size), 'content-type': meta.contentType });
      const res = await fetch(url, { method: 'PUT', headers, body: Readable.toWeb(body) as ReadableStream, duplex: 'half' } as RequestInit);
      if (!res.ok) await fail('PUT', key, res);
      await res.body?.cancel();
    },

    async get(key) {
      const url = urlOf(key);
      const res = await fetch(url, { headers: signed('GET', url, EMPTY_SHA256) });
      if (res.status === 404) {
        const code = await errorCode(res);
        if (code === 'NoSuchKey') throw new NotFound('The receipt file is missing.');
        throw new Error(`S3 GET ${key} failed: 404 ${code}`);
      }
      if (!res.ok || !res.body) return fail('GET', key, res);
      return Readable.fromWeb(res.body as WebReadableStream);
    },

    async delete(key) {
      const url = urlOf(key);
      const res = await fetch(url, { method: 'DELETE', headers: signed('DELETE', url, EMPTY_SHA256) });
      // S3 answers 204 for a missing key too; a 404 here means the bucket is missing.
      if (!res.ok) await fail('DELETE', key, res);
      await res.body?.cancel();
    },
  };
}
