import type Stripe from 'stripe';
import type { LedgerKind, NewTransaction } from '../../ledger/transactions.ts';

/**
 * Stripe balance transactions to ledger rows. A balance transaction is what Stripe
 * settled: immutable, one per charge, refund, dispute movement, payout or fee, with the
 * fee and the net already worked out in the account's balance currency. So the ledger is
 * built from them alone, and a row's `external_id` is stable however often and in
 * whatever order it is seen:
 *
 * | balance transaction        | rows                                                        |
 * |----------------------------|-------------------------------------------------------------|
 * | charge / payment           | sale (ch_…, in the charge's own currency) + fee (ch_…:fee)  |
 * | refund / payment_refund    | refund (re_…)                                               |
 * | refund_failure             | refund given back (re_…:failure)                            |
 * | adjustment of a dispute    | chargeback (dp_…), or its reversal when won (dp_…:reversal) |
 * | payout                     | payout to the bank (po_…), cash-neutral                     |
 * | payout_failure / _cancel   | the payout coming back (po_…:failure)                       |
 * | stripe_fee, tax_fee, …     | fee (txn_…)                                                 |
 * | anything else              | other income or a fee by its sign (txn_…)                   |
 *
 * Every row also carries the balance transaction's fee as its own `fee` row (`<id>:fee`).
 */

type Source = string | { id: string; object?: string; [k: string]: unknown } | null;

export type BaseAmount = (amount: number, currency: string, day: string) => number;

const sourceId = (source: Source): string | null => (source == null ? null : typeof source === 'string' ? source : source.id);
const sourceObject = (source: Source): Record<string, unknown> | null => (source && typeof source === 'object' ? source : null);

/** The payer of a charge as a person would name them: billing name, then email, then customer id. */
function payer(source: Source): string | null {
  const o = sourceObject(source);
  if (!o) return null;
  const billing = o.billing_details as { name?: string | null; email?: string | null } | undefined;
  const email = (o.receipt_email as string | null | undefined) ?? null;
  const customer = o.customer;
  return billing?.name || billing?.email || email || (typeof customer === 'string' ? customer : ((customer as { id?: string } | null)?.id ?? null));
}

function isoDay(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/** The main row's kind and external id for one balance transaction. */
function classify(bt: Stripe.BalanceTransaction): { kind: LedgerKind; externalId: string; label: string } {
  const src = sourceId(bt.source as Source);
  switch (bt.type) {
    case 'charge':
    case 'payment':
      return { kind: 'sale', externalId: src ?? bt.id, label: 'Stripe payment' };
    case 'refund':
    case 'payment_refund':
      return { kind: 'refund', externalId: src ?? bt.id, label: 'Stripe refund' };
    case 'refund_failure':
    case 'payment_failure_refund':
      return { kind: 'refund', externalId: `${src ?? bt.id}:failure`, label: 'Stripe refund failed (money back)' };
    case 'payout':
      return { kind: 'payout', externalId: src ?? bt.id, label: 'Stripe payout to bank' };
    case 'payout_failure':
    case 'payout_cancel':
      return { kind: 'payout', externalId: `${src ?? bt.id}:failure`, label: 'Stripe payout returned' };
    case 'stripe_fee':
    case 'stripe_fx_fee':
    case 'tax_fee':
    case 'application_fee':
      return { kind: 'fee', externalId: bt.id, label: 'Stripe fee' };
    default:
      if (src?.startsWith('dp_')) {
        return bt.amount < 0 ? { kind: 'chargeback', externalId: src, label: 'Dispute: chargeback' } : { kind: 'chargeback', externalId: `${src}:reversal`, label: 'Dispute won: chargeback reversed' };
      }
      return { kind: bt.amount >= 0 ? 'other_income' : 'fee', externalId: bt.id, label: `Stripe ${bt.type.replaceAll('_', ' ')}` };
  }
}

/**
 * The ledger rows of one balance transaction. `toBase` turns minor units of a currency
 * into the business's currency on a day (the caller has the rates).
 */
export function rowsOf(bt: Stripe.BalanceTransaction, businessId: string, baseCurrency: string, toBase: BaseAmount): NewTransaction[] {
  const day = isoDay(bt.created);
  const { kind, externalId, label } = classify(bt);
  const settledIn = bt.currency.toUpperCase();
  const base = (amount: number) => (settledIn === baseCurrency ? amount : toBase(amount, settledIn, day));
  const source = sourceObject(bt.source as Source);
  // A sale keeps the charge's own money (what the customer paid); its base amount is what Stripe settled.
  const original =
    kind === 'sale' && source && typeof source.amount === 'number' && typeof source.currency === 'string'
      ? { amount: source.amount, currency: source.currency.toUpperCase() }
      : { amount: bt.amount, currency: settledIn };
  const description = (bt.description || (source?.description as string | undefined) || label).slice(0, 500);
  const rows: NewTransaction[] = [
    {
      business_id: businessId,
      kind,
      amount: original.amount,
      currency: original.currency,
      amount_base: base(bt.amount),
      occurred_on: day,
      description,
      counterparty: kind === 'sale' || kind === 'refund' ? payer(bt.source as Source) : null,
      source: 'stripe',
      external_id: externalId,
    },
  ];
  if (bt.fee) {
    rows.push({
      business_id: businessId,
      kind: 'fee',
      amount: -bt.fee,
      currency: settledIn,
      amount_base: base(-bt.fee),
      occurred_on: day,
      description: `Stripe fee: ${description}`.slice(0, 500),
      counterparty: 'Stripe',
      source: 'stripe',
      external_id: `${externalId}:fee`,
    });
  }
  return rows;
}
