import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { signRequest } from '../../services/ledger/receipts/sigv4.ts';

export const FAKE_S3 = { bucket: 'receipts-test', region: 'eu-central-1', accessKeyId: 'AKIDFAKES3TEST', secretAccessKey: 'fake-s3-secret-for-tests-only' };

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** S3's error body: `<Error><Code>..</Code><Message>..</Message>...</Error>`. */
function error(res: ServerResponse, status: number, code: string, message: string, resource: string) {
  res.writeHead(status, { 'Content-Type': 'application/xml', 'x-amz-request-id': 'FAKE0001' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource}</Resource><RequestId>FAKE0001</RequestId></Error>`);
}

/**
 * A local S3 that speaks the wire format the receipt store uses: path-style
 * PUT/GET/DELETE of `/{bucket}/{key}`, SigV4 Authorization checked against the
 * headers actually sent (SignatureDoesNotMatch otherwise), the payload checked
 * against `x-amz-content-sha256` (XAmzContentSHA256Mismatch), NoSuchKey and
 * NoSuchBucket as XML, and 204 for DELETE of a missing key, as S3 answers.
 */
export async function startFakeS3() {
  const objects = new Map<string, { body: Buffer; contentType: string }>();
  const requests: { method: string; path: string; authorization: string }[] = [];
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const authorization = String(req.headers.authorization ?? '');
    requests.push({ method: req.method ?? '', path: url.pathname, authorization });
    const m = AUTH.exec(authorization);
    if (!m || m[1] !== FAKE_S3.accessKeyId || m[3] !== FAKE_S3.region) return error(res, 403, 'AccessDenied', 'Access Denied', url.pathname);
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const payloadSha256 = String(req.headers['x-amz-content-sha256'] ?? '');
    if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== m[2]) return error(res, 403, 'AccessDenied', 'X-Amz-Date is missing or does not match the credential scope', url.pathname);
    const signed = m[4].split(';').filter((h) => !['host', 'x-amz-date', 'x-amz-content-sha256'].includes(h));
    const expected = signRequest({
      method: req.method ?? 'GET',
      url,
      headers: Object.fromEntries(signed.map((h) => [h, String(req.headers[h] ?? '')])),
      payloadSha256,
      region: FAKE_S3.region,
      accessKeyId: FAKE_S3.accessKeyId,
      secretAccessKey: FAKE_S3.secretAccessKey,
      now: new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`),
    }).authorization;
    if (expected !== authorization) return error(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.', url.pathname);

    const [, bucket, ...rest] = url.pathname.split('/');
    const key = rest.map(decodeURIComponent).join('/');
    if (bucket !== FAKE_S3.bucket) return error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', url.pathname);
    if (req.method === 'PUT') {
      if (createHash('sha256').update(body).digest('hex') !== payloadSha256) {
        return error(res, 400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", url.pathname);
      }
      objects.set(key, { body, contentType: String(req.headers['content-type'] ?? 'binary/octet-stream') });
      res.writeHead(200, { ETag: `"${createHash('md5').update(body).digest('hex')}"` });
      return res.end();
    }
    if (req.method === 'GET') {
      const found = objects.get(key);
      if (!found) return error(res, 404, 'NoSuchKey', 'The specified key does not exist.', url.pathname);
      res.writeHead(200, { 'Content-Type': found.contentType, 'Content-Length': found.body.length });
      return res.end(found.body);
    }
    if (req.method === 'DELETE') {
      objects.delete(key);
      res.writeHead(204);
      return res.end();
    }
    return error(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', url.pathname);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
