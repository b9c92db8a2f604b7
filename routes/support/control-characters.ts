import type { NextFunction, Request, Response } from 'express';
import { NotFound, Validation } from '../../services/core/errors.ts';

/** C0 controls but tab, line feed and carriage return, and DEL: no text a person types holds them. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

function collect(value: unknown, field: string, out: Record<string, string[]>, depth = 0): void {
  if (typeof value === 'string') {
    if (CONTROL.test(value)) out[field || 'body'] = ['Remove the control characters (such as a NUL byte) from this field.'];
  } else if (value && typeof value === 'object' && depth < 8) {
    for (const [key, inner] of Object.entries(value)) {
      if (CONTROL.test(key)) out[field || 'body'] = ['A field name holds control characters.'];
      else collect(inner, field ? `${field}.${key}` : key, out, depth + 1);
    }
  }
}

/**
 * Refuses, before any handler, a query or body whose text holds a NUL byte or another
 * control character: PostgreSQL cannot store a NUL in text (it was a 500), and none
 * belongs in a description, a name or a question. Answered 422 naming each field.
 */
export function refuseControlCharacters(req: Request, _res: Response, next: NextFunction): void {
  if (CONTROL.test(req.path)) return next(new NotFound('There is no page at this address.'));
  assertNoControlCharacters(req.query, req.body);
  next();
}

/** Throws Validation naming every field of these values that holds a control character (multipart fields are checked with it once read). */
export function assertNoControlCharacters(...values: unknown[]): void {
  const details: Record<string, string[]> = {};
  for (const value of values) collect(value, '', details);
  if (Object.keys(details).length) throw new Validation(details, 'Some fields hold characters that cannot be stored.');
}
