import type { z } from 'zod';
import { Validation } from '../../services/core/errors.ts';

export type FieldErrors = Record<string, string[]>;

/** zod issues as messages per field, the shape forms and the JSON API both show. */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join('.') : '_form';
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

export type Parsed<T> = { ok: true; data: T } | { ok: false; errors: FieldErrors };

/** Parses a form body; the route re-renders the form with `errors` and a 422 when not ok. */
export function parseForm<S extends z.ZodType>(schema: S, body: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(body ?? {});
  return result.success ? { ok: true, data: result.data } : { ok: false, errors: fieldErrors(result.error) };
}

/** Parses an API body or query; throws Validation (422 with details) when it does not fit. */
export function parseOrThrow<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw new Validation(fieldErrors(result.error));
  return result.data;
}
