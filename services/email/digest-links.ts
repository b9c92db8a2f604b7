import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Db } from '../core/db.ts';
import { instanceSecret } from '../core/instance-secrets.ts';

/**
 * The link in every digest that opens one recipient's preference for one business
 * without signing in (and unsubscribes by a one-click POST, RFC 8058). It names the
 * user and the business and carries an HMAC-SHA256 of them under the instance's own
 * `digest-links` secret, so nobody can make one for another recipient. It never expires:
 * an unsubscribe link must work in a mail read months later.
 */
export type Recipient = { userId: string; businessId: string };

// What the signature is for, so a MAC made for anything else under this secret never fits here.
const PURPOSE = 'bursar digest preferences v1';
const TOKEN = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;

function uuidBytes(id: string): Buffer {
  return Buffer.from(id.replaceAll('-', ''), 'hex');
}

function uuidOf(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function mac(secret: string, payload: Buffer): Buffer {
  return createHmac('sha256', secret).update(PURPOSE).update(payload).digest();
}

/** The token of a recipient's link: their user id and the business id, then the signature. */
export async function tokenFor(db: Db, recipient: Recipient): Promise<string> {
  const payload = Buffer.concat([uuidBytes(recipient.userId), uuidBytes(recipient.businessId)]);
  const secret = await instanceSecret(db, 'digest-links');
  return `${payload.toString('base64url')}.${mac(secret, payload).toString('base64url')}`;
}

/** The recipient a token names, or null when it is malformed or its signature does not match. */
export async function readToken(db: Db, token: string): Promise<Recipient | null> {
  const m = TOKEN.exec(token);
  if (!m) return null;
  const payload = Buffer.from(m[1], 'base64url');
  const given = Buffer.from(m[2], 'base64url');
  // Canonical form only: the last base64 character has spare bits, and a link with them changed is still a changed link.
  if (payload.toString('base64url') !== m[1] || given.toString('base64url') !== m[2]) return null;
  const expected = mac(await instanceSecret(db, 'digest-links'), payload);
  if (!timingSafeEqual(given, expected)) return null;
  return { userId: uuidOf(payload.subarray(0, 16)), businessId: uuidOf(payload.subarray(16)) };
}

/** The address of a recipient's preference page; a POST to it with no body unsubscribes. */
export function linkFor(appUrl: string, token: string): string {
  return `${appUrl.replace(/\/$/, '')}/u/${token}`;
}
