import { z } from 'zod';

/** The days Bursar accepts anywhere: a ledger, a report range or a forecast never needs more. */
export const FIRST_DAY = '1900-01-01';
export const LAST_DAY = '2100-12-31';

/** True for a real calendar day written YYYY-MM-DD between FIRST_DAY and LAST_DAY. */
export function isDay(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || value < FIRST_DAY || value > LAST_DAY) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(value);
}

/**
 * The one date schema of every form, query and API body: a real calendar day between
 * 1900 and 2100, so no impossible or far-off date reaches the database or a loop over
 * days. The message says which of the three it is not.
 */
export const day = () =>
  z
    .string()
    .trim()
    .superRefine((value, ctx) => {
      if (isDay(value)) return;
      const message = !/^\d{4}-\d{2}-\d{2}$/.test(value) ? 'Use a date like 2026-11-25.' : value < FIRST_DAY || value > LAST_DAY ? 'Use a date between 1900 and 2100.' : 'That date does not exist.';
      ctx.addIssue({ code: 'custom', message });
    });
