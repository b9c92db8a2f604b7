import { z } from 'zod';
import type { Db } from '../core/db.ts';
import { Validation } from '../core/errors.ts';
import { day } from '../core/dates.ts';
import { type DecimalMark, isCurrency, parseMoney } from '../core/money.ts';
import { exampleAmount, optionalText } from './expenses.ts';
import * as audit from './audit.ts';
import type { Actor } from './audit.ts';
import { toBase } from './exchange-rates.ts';

/**
 * Sales entered by hand: a ledger row of kind `sale` (money in, so a positive amount),
 * source `manual`, optionally of one of the business's products with a quantity, so the
 * product's units and margin count it like a synced order.
 */

export type SaleInput = {
  occurred_on: string;
  description: string;
  /** Positive minor units received. */
  amount: number;
  currency: string;
  counterparty: string | null;
  sku: string | null;
  quantity: number | null;
};

type Business = { id: string; currency: string };

/** The sale form: the amount as typed in the business's number format, in the business currency unless another is chosen. */
export function saleForm(baseCurrency: string, decimal: DecimalMark = '.') {
  return z
    .object({
      occurred_on: day(),
      description: z.string().trim().min(1, 'Say what was sold.').max(500),
      amount: z.string().trim().min(1, 'Enter the amount received.'),
      currency: z
        .string()
        .trim()
        .toUpperCase()
        .optional()
        .transform((c) => c || baseCurrency)
        .refine(isCurrency, 'Use an ISO currency code such as USD or EUR.'),
      counterparty: optionalText(200),
      sku: optionalText(100),
      quantity: z
        .string()
        .trim()
        .optional()
        .transform((q, ctx) => {
          if (!q) return null;
          const n = Number(q);
          if (!/^\d+$/.test(q) || n < 1 || n > 1_000_000) {
            ctx.addIssue({ code: 'custom', message: 'Enter a whole number of units, 1 or more.' });
            return z.NEVER;
          }
          return n;
        }),
    })
    .transform((v, ctx) => {
      const minor = parseMoney(v.amount, v.currency, decimal);
      if (minor === null || minor <= 0) {
        ctx.addIssue({ code: 'custom', path: ['amount'], message: `Enter the amount received, such as ${exampleAmount(decimal)}.` });
        return z.NEVER;
      }
      if (v.quantity !== null && !v.sku) {
        ctx.addIssue({ code: 'custom', path: ['sku'], message: 'Say which product (its SKU) the units are of.' });
        return z.NEVER;
      }
      return { ...v, amount: minor } satisfies SaleInput;
    });
}

/** The business's products for the form's SKU list, by SKU. */
export async function products(db: Db, businessId: string): Promise<{ id: string; sku: string; name: string }[]> {
  return db('products').where({ business_id: businessId }).orderBy('sku').select('id', 'sku', 'name');
}

/**
 * Records a sale, audited as `actor`. Throws Validation when the SKU is not one of the
 * business's products or no exchange rate converts the currency.
 */
export async function create(db: Db, business: Business, actor: Actor, input: SaleInput): Promise<{ id: string }> {
  return db.transaction(async (trx) => {
    await audit.actAs(trx, actor);
    let productId: string | null = null;
    if (input.sku) {
      const product = await trx('products').where({ business_id: business.id, sku: input.sku }).first('id');
      if (!product) throw new Validation({ sku: ['There is no product with this SKU. Pick one from the list.'] });
      productId = product.id;
    }
    const [row] = await trx('transactions')
      .insert({
        business_id: business.id,
        kind: 'sale',
        source: 'manual',
        occurred_on: input.occurred_on,
        description: input.description,
        counterparty: input.counterparty,
        amount: input.amount,
        currency: input.currency,
        amount_base: await toBase(trx, business.id, input.amount, input.currency, business.currency, input.occurred_on),
        product_id: productId,
        quantity: productId ? (input.quantity ?? 1) : null,
        created_by: actor.userId,
        created_at: actor.now,
        updated_at: actor.now,
      })
      .returning('id');
    return { id: row.id };
  });
}
