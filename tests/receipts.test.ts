import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import sharp from 'sharp';
import { loadConfig, ConfigError } from '../services/core/config.ts';
import { NotFound } from '../services/core/errors.ts';
import { sniff } from '../services/ledger/receipts/sniff.ts';
import { s3Store } from '../services/ledger/receipts/s3.ts';
import { EMPTY_SHA256, signRequest } from '../services/ledger/receipts/sigv4.ts';
import { captureLogger, createTestApp, insertBusiness, insertLedgerRows, insertUser, signIn, signedInOwner, type TestContext, signedInMember } from './helpers.ts';
import { FAKE_S3, startFakeS3 } from './fakes/s3.ts';

const MAX_BYTES = 64 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A real (tiny) PNG photo of a receipt, and a real one-page PDF. */
const png = (background = '#f4efe6') =>
  sharp({ create: { width: 120, height: 200, channels: 3, background } })
    .png()
    .toBuffer();
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

/** An expense of the business, by description. */
async function insertExpense(db: TestContext['db'], businessId: string, description: string): Promise<string> {
  await insertLedgerRows(db, businessId, [{ description }]);
  return (await db('transactions').where({ business_id: businessId, description }).first('id')).id;
}

/** A supertest response body as bytes, whatever its content type. */
function binary(res: any, cb: (err: Error | null, body: Buffer) => void) {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}

describe('receipts', () => {
  let ctx: TestContext;
  let dir: string;
  let businessId: string;
  let expenseId: string;
  let owner: Awaited<ReturnType<typeof signIn>>;
  let viewer: Awaited<ReturnType<typeof signIn>>;
  let stranger: Awaited<ReturnType<typeof signIn>>;
  let otherBusinessId: string;
  let otherExpenseId: string;
  let other: Awaited<ReturnType<typeof signIn>>;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bursar-receipts-test-'));
    ctx = await createTestApp({ config: { receipts: { storage: 'disk', dir, maxBytes: MAX_BYTES, s3: null } } });
    ({ businessId, owner } = await signedInOwner(ctx, { name: 'Paper Trail Ltd' }));
    expenseId = await insertExpense(ctx.db, businessId, 'Printer ink');
    viewer = await signedInMember(ctx, businessId, 'viewer');
    const strangerUser = await insertUser(ctx.db);
    await insertBusiness(ctx.db, strangerUser.id, { name: 'Stranger Co' });
    stranger = await signIn(ctx.app, strangerUser.email, strangerUser.password);
    const otherUser = await insertUser(ctx.db);
    otherBusinessId = (await insertBusiness(ctx.db, otherUser.id, { name: 'Other Books' })).id;
    otherExpenseId = await insertExpense(ctx.db, otherBusinessId, 'Other ink');
    other = await signIn(ctx.app, otherUser.email, otherUser.password);
  });
  after(async () => {
    await ctx.close();
    await rm(dir, { recursive: true, force: true });
  });

  const url = (path = '', b = businessId, e = expenseId) => `/b/${b}/expenses/${e}/receipts${path}`;
  const attach = (body: Buffer, filename: string, contentType: string, who = owner, target = url()) =>
    who.agent.post(target).set('X-CSRF-Token', who.csrf).attach('file', body, { filename, contentType });
  const rowsOf = (b: string) => ctx.db('receipts').where({ business_id: b }).orderBy('created_at');
  const filesOf = async (b: string) => readdir(path.join(dir, b)).catch(() => [] as string[]);

  test('an owner attaches a PNG with a plain form: the type comes from the bytes, and a thumbnail is made', async () => {
    const photo = await png();
    const res = await attach(photo, 'ink.PNG', 'application/octet-stream');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, url());
    const [row] = await rowsOf(businessId);
    assert.equal(row.content_type, 'image/png');
    assert.equal(row.byte_size, photo.length);
    assert.equal(row.sha256, sha256(photo));
    assert.equal(row.original_name, 'ink.png');
    assert.ok(row.thumbnail_key);
    assert.deepEqual((await filesOf(businessId)).sort(), [row.id, `${row.id}.thumb.webp`].sort());
    const page = await owner.agent.get(url());
    assert.match(page.text, /ink\.png/);
    assert.match(page.text, new RegExp(`${url()}/${row.id}/thumbnail`));
  });

  test('a PDF attached over htmx comes back in the swapped panel, with no thumbnail', async () => {
    const res = await attach(PDF, 'invoice.pdf', 'application/pdf').set('HX-Request', 'true');
    assert.equal(res.status, 200);
    assert.match(res.text, /^\s*<section id="receipts-panel"/);
    assert.match(res.text, /invoice\.pdf/);
    const row = await ctx.db('receipts').where({ business_id: businessId, original_name: 'invoice.pdf' }).first();
    assert.equal(row.content_type, 'application/pdf');
    assert.equal(row.thumbnail_key, null);
  });

  test('a text file named .png is refused with 422 and a message, and nothing is stored', async () => {
    const before = (await rowsOf(businessId)).length;
    const res = await attach(Buffer.from('not a picture, just text\n'), 'receipt.png', 'image/png').set('HX-Request', 'true');
    assert.equal(res.status, 422);
    assert.match(res.text, /Attach a photo \(JPEG, PNG, WebP, HEIC\) or a PDF/);
    assert.equal((await rowsOf(businessId)).length, before);
    assert.equal((await filesOf(businessId)).length, before * 2 - 1);
  });

  test('a file over the size limit is refused with a message naming the limit, and nothing is stored', async () => {
    const before = (await rowsOf(businessId)).length;
    const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(MAX_BYTES + 10, 0x20)]);
    const page = await attach(big, 'big.pdf', 'application/pdf').set('HX-Request', 'true');
    assert.equal(page.status, 422);
    assert.match(page.text, /Receipts can be at most 64 KB/);
    const api = await owner.agent.post(`/api/v1/expenses/${expenseId}/receipts?business_id=${businessId}`).set('X-CSRF-Token', owner.csrf).attach('file', big, 'big.pdf');
    assert.equal(api.status, 413);
    assert.equal(api.body.error.code, 'too_large');
    assert.match(api.body.error.details.file[0], /at most 64 KB/);
    assert.equal((await rowsOf(businessId)).length, before);
  });

  test('a file named in another script keeps its name', async () => {
    const photo = await png('#e4d9f5');
    await attach(photo, 'é😀名.png', 'image/png');
    const row = await ctx
      .db('receipts')
      .where({ business_id: businessId, sha256: sha256(photo) })
      .first();
    assert.equal(row.original_name, 'é😀名.png');
  });

  test('a download returns the same bytes with the sniffed type, inline or as an attachment', async () => {
    const photo = await png('#d9e4f5');
    await attach(photo, 'lunch receipt.jpg', 'image/jpeg');
    const row = await ctx
      .db('receipts')
      .where({ business_id: businessId, sha256: sha256(photo) })
      .first();
    assert.equal(row.original_name, 'lunch receipt.png');
    const res = await owner.agent
      .get(url(`/${row.id}`))
      .buffer(true)
      .parse(binary);
    assert.equal(res.status, 200);
    assert.equal(sha256(res.body), row.sha256);
    assert.equal(res.headers['content-type'], 'image/png');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.match(res.headers['content-disposition'], /^inline; filename="lunch receipt.png"/);
    const saved = await owner.agent
      .get(url(`/${row.id}?download=1`))
      .buffer(true)
      .parse(binary);
    assert.match(saved.headers['content-disposition'], /^attachment;/);
    const thumb = await owner.agent
      .get(url(`/${row.id}/thumbnail`))
      .buffer(true)
      .parse(binary);
    assert.equal(thumb.headers['content-type'], 'image/webp');
    const meta = await sharp(thumb.body).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 96, 96]);
  });

  test('the expense list shows a thumbnail on a row with a receipt and none on a row without', async () => {
    const bare = await insertExpense(ctx.db, businessId, 'No paper for this');
    const page = await owner.agent.get(`/b/${businessId}/expenses`);
    assert.equal(page.status, 200);
    const row = (id: string) => new RegExp(`<tr id="expense-${id}">[\\s\\S]*?</tr>`).exec(page.text)![0];
    assert.match(row(expenseId), /class="receipt-chip"[^>]*title="\d+ receipts"/);
    assert.match(row(expenseId), /<img src="[^"]+\/thumbnail" width="32" height="32"/);
    assert.doesNotMatch(row(bare), /receipt-chip/);
    assert.match(row(bare), /Attach receipt/);
  });

  test('a stranger gets 403 on the list, a download and a thumbnail, and learns nothing', async () => {
    const [row] = await rowsOf(businessId);
    for (const path of ['', `/${row.id}`, `/${row.id}/thumbnail`, `/${row.id}?download=1`]) {
      const res = await stranger.agent.get(url(path)).buffer(true).parse(binary);
      assert.equal(res.status, 403, path);
      const body = res.body.toString('utf8');
      assert.doesNotMatch(body, /Paper Trail|ink\.png|Printer ink/);
      assert.notEqual(res.headers['content-type'], 'image/png');
    }
    const api = await stranger.agent.get(`/api/v1/expenses/${expenseId}/receipts/${row.id}?business_id=${businessId}`);
    assert.equal(api.status, 403);
    assert.equal(api.body.error.code, 'forbidden');
  });

  test('a viewer can open and download receipts but cannot attach or remove one', async () => {
    const [row] = await rowsOf(businessId);
    const page = await viewer.agent.get(url());
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /type="file"/);
    assert.doesNotMatch(page.text, /Remove/);
    const download = await viewer.agent
      .get(url(`/${row.id}`))
      .buffer(true)
      .parse(binary);
    assert.equal(sha256(download.body), row.sha256);
    const count = (await rowsOf(businessId)).length;
    assert.equal((await attach(PDF, 'x.pdf', 'application/pdf', viewer)).status, 403);
    assert.equal(
      (
        await viewer.agent
          .post(url(`/${row.id}/deletion`))
          .type('form')
          .send({ _csrf: viewer.csrf })
      ).status,
      403,
    );
    const api = await viewer.agent.delete(`/api/v1/expenses/${expenseId}/receipts/${row.id}?business_id=${businessId}`).set('X-CSRF-Token', viewer.csrf);
    assert.equal(api.status, 403);
    assert.equal((await rowsOf(businessId)).length, count);
  });

  test("another business's receipt id is not found through one's own business, and no bytes come back", async () => {
    await attach(PDF, 'theirs.pdf', 'application/pdf', other, url('', otherBusinessId, otherExpenseId));
    const [theirs] = await rowsOf(otherBusinessId);
    for (const target of [url(`/${theirs.id}`), url(`/${theirs.id}/thumbnail`), url(`/${theirs.id}`, businessId, otherExpenseId)]) {
      const res = await owner.agent.get(target).buffer(true).parse(binary);
      assert.equal(res.status, 404, target);
      assert.doesNotMatch(res.body.toString('latin1'), /%PDF|theirs\.pdf/);
    }
    const removal = await owner.agent
      .post(url(`/${theirs.id}/deletion`))
      .type('form')
      .send({ _csrf: owner.csrf });
    assert.equal(removal.status, 404);
    const attachToTheirs = await attach(PDF, 'sneaky.pdf', 'application/pdf', owner, url('', businessId, otherExpenseId));
    assert.equal(attachToTheirs.status, 404);
    assert.equal((await rowsOf(otherBusinessId)).length, 1);
    assert.equal((await filesOf(otherBusinessId)).length, 1);
  });

  test('deleting an expense hides its receipts, and restoring it brings them back', async () => {
    const [row] = await rowsOf(businessId);
    const deleted = await owner.agent.post(`/b/${businessId}/expenses/${expenseId}/deletion`).type('form').send({ _csrf: owner.csrf });
    assert.equal(deleted.status, 303);
    assert.equal((await owner.agent.get(url(`/${row.id}`))).status, 404);
    assert.ok((await filesOf(businessId)).includes(row.id), 'the file stays while the audit trail can restore the expense');
    const restored = await owner.agent.post(`/b/${businessId}/expenses/${expenseId}/restoration`).type('form').send({ _csrf: owner.csrf });
    assert.equal(restored.status, 303);
    const download = await owner.agent
      .get(url(`/${row.id}`))
      .buffer(true)
      .parse(binary);
    assert.equal(sha256(download.body), row.sha256);
  });

  test('removing a receipt deletes its row, its file and its thumbnail', async () => {
    const [row] = await rowsOf(businessId);
    const res = await owner.agent
      .post(url(`/${row.id}/deletion`))
      .type('form')
      .send({ _csrf: owner.csrf })
      .set('HX-Request', 'true');
    assert.equal(res.status, 200);
    assert.match(res.text, /^\s*<section id="receipts-panel"/);
    assert.equal(await ctx.db('receipts').where({ id: row.id }).first(), undefined);
    const files = await filesOf(businessId);
    assert.ok(!files.includes(row.id) && !files.includes(`${row.id}.thumb.webp`));
  });

  test('the JSON API lists, attaches, downloads and deletes receipts of an expense', async () => {
    const api = (path = '') => `/api/v1/expenses/${expenseId}/receipts${path}`;
    const made = await owner.agent.post(`${api()}?business_id=${businessId}`).set('X-CSRF-Token', owner.csrf).attach('file', PDF, { filename: 'api.pdf', contentType: 'text/plain' });
    assert.equal(made.status, 201);
    assert.equal(made.body.content_type, 'application/pdf');
    assert.equal(made.body.sha256, sha256(PDF));
    const listed = await owner.agent.get(`${api()}?business_id=${businessId}`);
    assert.ok(listed.body.receipts.some((r: { id: string }) => r.id === made.body.id));
    const bytes = await owner.agent.get(`${made.body.url}?business_id=${businessId}`).buffer(true).parse(binary);
    assert.ok(bytes.body.equals(PDF));
    const refused = await owner.agent.post(`${api()}?business_id=${businessId}`).set('X-CSRF-Token', owner.csrf).attach('file', Buffer.from('hello'), 'a.pdf');
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, 'validation');
    assert.ok(refused.body.error.details.file);
    const gone = await owner.agent.delete(`${api(`/${made.body.id}`)}?business_id=${businessId}`).set('X-CSRF-Token', owner.csrf);
    assert.equal(gone.status, 204);
    assert.equal((await owner.agent.get(`${made.body.url}?business_id=${businessId}`)).status, 404);
  });
});

describe('receipts of a deleted business', () => {
  test('deleting the business deletes its receipt files, which no cascade reaches', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bursar-receipts-test-'));
    const ctx = await createTestApp({ config: { receipts: { storage: 'disk', dir, maxBytes: MAX_BYTES, s3: null } } });
    try {
      const { businessId, owner } = await signedInOwner(ctx, { name: 'Closing Down Ltd' });
      const id = await insertExpense(ctx.db, businessId, 'Last ink');
      await owner.agent
        .post(`/b/${businessId}/expenses/${id}/receipts`)
        .set('X-CSRF-Token', owner.csrf)
        .attach('file', await png(), 'last.png');
      assert.equal((await readdir(path.join(dir, businessId))).length, 2);
      const res = await owner.agent.post(`/b/${businessId}/settings/deletion`).type('form').send({ _csrf: owner.csrf, confirm_name: 'Closing Down Ltd' });
      assert.equal(res.status, 303);
      assert.deepEqual(await readdir(path.join(dir, businessId)), []);
      assert.equal((await ctx.db('receipts').where({ business_id: businessId })).length, 0);
    } finally {
      await ctx.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('receipt type sniffing', () => {
  const head = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

  test('the accepted kinds are told by their magic bytes', () => {
    assert.equal(sniff(head([0xff, 0xd8, 0xff, 0xe0], 'JFIF'))?.contentType, 'image/jpeg');
    assert.equal(sniff(head([0x89], 'PNG\r\n\x1a\n', [0, 0, 0, 13]))?.contentType, 'image/png');
    assert.equal(sniff(head('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '))?.contentType, 'image/webp');
    assert.equal(sniff(head('%PDF-1.7\n'))?.contentType, 'application/pdf');
    assert.equal(sniff(head([0, 0, 0, 0x18], 'ftypheic', [0, 0, 0, 0]))?.contentType, 'image/heic');
  });

  test('anything else is refused, whatever it starts like', () => {
    for (const bytes of [head('hello.png'), head('<svg xmlns="http://www.w3.org/2000/svg">'), head('GIF89a'), head('RIFF', [0, 0, 0, 0], 'WAVE'), head('PK\x03\x04'), head([0x89], 'PNX'), head('')]) {
      assert.equal(sniff(bytes), null, bytes.toString('latin1'));
    }
  });
});

describe('receipts in S3-compatible storage', () => {
  let s3: Awaited<ReturnType<typeof startFakeS3>>;
  before(async () => {
    s3 = await startFakeS3();
  });
  after(() => s3.close());

  const config = () => ({ endpoint: s3.url, ...FAKE_S3 });
  const key = () => `${randomUUID()}/${randomUUID()}`;

  test("the signer reproduces AWS's published SigV4 example for S3", () => {
    const headers = signRequest({
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
      headers: { range: 'bytes=0-9' },
      payloadSha256: EMPTY_SHA256,
      region: 'us-east-1',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      now: new Date('2013-05-24T00:00:00Z'),
    });
    assert.equal(
      headers.authorization,
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  test('put, get and delete round-trip the bytes through signed path-style requests', async () => {
    const store = s3Store(config());
    const k = key();
    await store.put(k, Readable.from(PDF), { contentType: 'application/pdf', size: PDF.length, sha256: sha256(PDF) });
    assert.ok(s3.objects.get(k)?.body.equals(PDF));
    assert.equal(s3.objects.get(k)?.contentType, 'application/pdf');
    assert.equal(await text(await store.get(k)), PDF.toString());
    await store.delete(k);
    await store.delete(k);
    await assert.rejects(store.get(k), NotFound);
    const last = s3.requests.at(-1)!;
    assert.equal(last.path, `/${FAKE_S3.bucket}/${k}`);
    assert.match(last.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDFAKES3TEST\/\d{8}\/eu-central-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
  });

  test('a wrong secret or bucket fails with S3 error code, and the secret never appears in the error', async () => {
    const wrongSecret = s3Store({ ...config(), secretAccessKey: 'not-the-secret' });
    await assert.rejects(wrongSecret.get(key()), (err: Error) => /SignatureDoesNotMatch/.test(err.message) && !err.message.includes('not-the-secret'));
    const wrongBucket = s3Store({ ...config(), bucket: 'no-such-bucket' });
    await assert.rejects(wrongBucket.put(key(), Readable.from(PDF), { contentType: 'application/pdf', size: PDF.length, sha256: sha256(PDF) }), /NoSuchBucket/);
  });

  test('a receipt attached through the app with RECEIPTS_STORAGE=s3 lands in the bucket and downloads back', async () => {
    const ctx = await createTestApp({ config: { receipts: { storage: 's3', dir: '/nonexistent', maxBytes: MAX_BYTES, s3: config() } } });
    try {
      const { businessId, owner } = await signedInOwner(ctx);
      const id = await insertExpense(ctx.db, businessId, 'Cloud ink');
      const photo = await png();
      const res = await owner.agent.post(`/b/${businessId}/expenses/${id}/receipts`).set('X-CSRF-Token', owner.csrf).attach('file', photo, 'cloud.png');
      assert.equal(res.status, 303);
      const row = await ctx.db('receipts').where({ business_id: businessId }).first();
      assert.ok(s3.objects.get(row.storage_key)?.body.equals(photo));
      assert.ok(s3.objects.has(row.thumbnail_key));
      const back = await owner.agent.get(`/b/${businessId}/expenses/${id}/receipts/${row.id}`).buffer(true).parse(binary);
      assert.equal(sha256(back.body), sha256(photo));
    } finally {
      await ctx.close();
    }
  });
});

describe('receipt configuration', () => {
  test('S3 storage without its settings stops start-up naming the variable', () => {
    assert.throws(
      () => loadConfig({ RECEIPTS_STORAGE: 's3', S3_ENDPOINT: 'http://127.0.0.1:9000' }),
      (err: Error) => err instanceof ConfigError && /S3_BUCKET/.test(err.message),
    );
    const ok = loadConfig({ RECEIPTS_STORAGE: 's3', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_BUCKET: 'books', S3_ACCESS_KEY_ID: 'id', S3_SECRET_ACCESS_KEY: 'shh' });
    assert.equal(ok.receipts.s3?.bucket, 'books');
    assert.equal(loadConfig({}).receipts.maxBytes, 10 * 1024 * 1024);
  });

  test('the S3 secret is redacted when the config is logged', () => {
    const { logger, lines } = captureLogger();
    const config = loadConfig({ RECEIPTS_STORAGE: 's3', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_BUCKET: 'books', S3_ACCESS_KEY_ID: 'id', S3_SECRET_ACCESS_KEY: 'very-secret-value' });
    logger.info({ config }, 'config');
    assert.doesNotMatch(lines.join(''), /very-secret-value/);
  });
});
