import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db.ts';
import { AppError } from '../core/errors.ts';

/**
 * Credentials at rest: AES-256-GCM with a random 12-byte nonce per value. A sealed value
 * reads `v1.<key id>.<nonce>.<tag>.<ciphertext>` (base64url parts); the key id is the
 * first 8 hex digits of the key's SHA-256, so a value names the key that opens it and a
 * rotation can leave old values readable until they are sealed again.
 */
type Key = { id: string; bytes: Buffer };
export type KeyRing = { current: Key; all: Map<string, Key> };

export class NoEncryptionKey extends AppError {
  status = 409;
  code = 'no_encryption_key';
  constructor() {
    super('Connections are unavailable: this server has no ENCRYPTION_KEY to protect their credentials. The operator must set one (see .env.example).');
  }
}

function toKey(text: string): Key {
  const bytes = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64url');
  if (bytes.length !== 32) throw new Error('an encryption key must be 32 bytes');
  return { id: createHash('sha256').update(bytes).digest('hex').slice(0, 8), bytes };
}

/** The key file of a development install: made at random on first use, readable by its owner only. */
function fileKey(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const key = randomBytes(32).toString('hex');
  // wx: two processes starting at once must not each write a key of their own.
  try {
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  }
}

const rings = new Map<string, KeyRing>();

/** The keys of this install (see Config.encryption); throws NoEncryptionKey when there are none. */
export function keyRing(config: Config): KeyRing {
  const texts = config.encryption.keys.length ? config.encryption.keys : config.encryption.keyFile ? [fileKey(config.encryption.keyFile)] : [];
  if (!texts.length) throw new NoEncryptionKey();
  const cacheKey = texts.join(',');
  let ring = rings.get(cacheKey);
  if (!ring) {
    const keys = texts.map(toKey);
    ring = { current: keys[0], all: new Map(keys.map((k) => [k.id, k])) };
    rings.set(cacheKey, ring);
  }
  return ring;
}

export function seal(ring: KeyRing, plaintext: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', ring.current.bytes, nonce);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', ring.current.id, nonce.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export function open(ring: KeyRing, sealed: string): string {
  const [version, keyId, nonce, tag, body] = sealed.split('.');
  if (version !== 'v1' || body === undefined) throw new Error('not a sealed credential');
  const key = ring.all.get(keyId);
  if (!key) throw new Error(`the key ${keyId} that sealed this credential is not among ENCRYPTION_KEY's keys`);
  const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(nonce, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

/** Whether a sealed value was sealed by the current key. */
export function sealedWithCurrent(ring: KeyRing, sealed: string): boolean {
  return sealed.split('.')[1] === ring.current.id;
}

/**
 * Seals again, with the current key, every credential sealed by an older one (after
 * ENCRYPTION_KEY gained a new first key). Each row is rewritten only if it still holds
 * what was read, so a connection renewed meanwhile keeps its new credentials.
 */
export async function rotateCredentials(db: Db, config: Config): Promise<{ resealed: number; current: number }> {
  const ring = keyRing(config);
  const rows: { id: string; credentials: string }[] = await db('integrations').whereNotNull('credentials').select('id', 'credentials');
  let resealed = 0;
  for (const row of rows) {
    if (sealedWithCurrent(ring, row.credentials)) continue;
    const fresh = seal(ring, open(ring, row.credentials));
    resealed += await db('integrations').where({ id: row.id, credentials: row.credentials }).update({ credentials: fresh });
  }
  return { resealed, current: rows.length - resealed };
}
