import { z } from 'zod';
import { DATE_FORMATS } from './formats.ts';
import { mappingSchema } from './detect.ts';
import { isCurrency } from '../../core/money.ts';

/** What the import page's mapping form needs beyond the mapping itself. */
export const DATE_FORMATS_HINT = DATE_FORMATS;

const optionalIndex = z
  .union([z.literal(''), z.coerce.number().int().min(0)])
  .optional()
  .transform((v) => (v === '' || v === undefined ? undefined : v));

/** The mapping form of the import page: columns picked by index from the header. */
export const mappingForm = z
  .object({
    date: z.coerce.number({ message: 'Pick the date column.' }).int().min(0),
    amount: optionalIndex,
    debit: optionalIndex,
    credit: optionalIndex,
    description: z.coerce.number({ message: 'Pick the description column.' }).int().min(0),
    counterparty: optionalIndex,
    currency: optionalIndex,
    external_id: optionalIndex,
    category: optionalIndex,
    sign: optionalIndex,
    balance: optionalIndex,
    default_currency: z
      .string()
      .trim()
      .toUpperCase()
      .optional()
      .transform((c) => c || undefined)
      .refine((c) => c === undefined || isCurrency(c), 'Use an ISO currency code such as EUR.'),
    date_format: z.string().trim().min(2, 'Give the date format, e.g. DD.MM.YYYY, or let it be read from the values.').max(40),
    decimal: z.enum(['.', ',']).default('.'),
    skip_footer_rows: z.coerce.number().int().min(0).max(100).default(0),
    negate: z
      .union([z.literal('on'), z.literal('true'), z.literal('')])
      .optional()
      .transform((v) => v === 'on' || v === 'true'),
  })
  .transform((v, ctx) => {
    const checked = mappingSchema.safeParse(v);
    if (checked.success) return checked.data;
    for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    return z.NEVER;
  });
