import type { Db } from './core/db.ts';

/**
 * The ledger's append-only audit trail: who did what to a row, when, with the row
 * before and after. A deleted row's before-image is what a restore re-inserts.
 */
export type AuditAction = 'create' | 'update' | 'delete' | 'restore';

export type AuditEntry = {
  id: number;
  action: AuditAction;
  actor_id: string | null;
  actor_name: string | null;
  at: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
};

export async function append(
  db: Db,
  entry: { businessId: string; transactionId: string; action: AuditAction; actorId: string | null; at: Date; before: unknown; after: unknown },
): Promise<void> {
  await db('ledger_audit').insert({
    business_id: entry.businessId,
    transaction_id: entry.transactionId,
    action: entry.action,
    actor_id: entry.actorId,
    at: entry.at,
    before: entry.before === null ? null : JSON.stringify(entry.before),
    after: entry.after === null ? null : JSON.stringify(entry.after),
  });
}

/** Every entry about one ledger row of the business, oldest first. */
export async function history(db: Db, businessId: string, transactionId: string): Promise<AuditEntry[]> {
  return db('ledger_audit as a')
    .leftJoin('users as u', 'u.id', 'a.actor_id')
    .where({ 'a.business_id': businessId, 'a.transaction_id': transactionId })
    .orderBy('a.id')
    .select('a.id', 'a.action', 'a.actor_id', 'u.name as actor_name', 'a.at', 'a.before', 'a.after');
}

/** The before-image of the row's latest deletion, or null when its last entry is not a delete. */
export async function lastDeleted(db: Db, businessId: string, transactionId: string): Promise<Record<string, unknown> | null> {
  const row = await db('ledger_audit')
    .where({ business_id: businessId, transaction_id: transactionId })
    .orderBy('id', 'desc')
    .first('action', 'before');
  return row && row.action === 'delete' ? row.before : null;
}
