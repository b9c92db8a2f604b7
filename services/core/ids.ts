import { z } from 'zod';

/** The canonical text of a uuid, the only id form Bursar's tables use. */
export const UUID_PATTERN = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const UUID = new RegExp(`^${UUID_PATTERN}$`, 'i');

/**
 * True for a string PostgreSQL reads as a uuid. Checked before any query with an id
 * from a request, so "------------------------------------" or a 36-character word is
 * a 404, not a database error.
 */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** The schema of an id in a form, query or body. */
export const uuid = (message = 'That is not a valid id.') => z.string().trim().regex(UUID, message);
