import type { Db } from '../core/db.ts';

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

/**
 * Every entry about one ledger row of the business, oldest first. A row brought in by
 * an import has no entry of its own for that: its import batch stands for it (see
 * services/ledger/imports), shown here as the first entry.
 */
export async function history(db: Db, businessId: string, transactionId: string): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = await db('ledger_audit as a')
    .leftJoin('users as u', 'u.id', 'a.actor_id')
    .where({ 'a.business_id': businessId, 'a.transaction_id': transactionId })
    .orderBy('a.id')
    .select('a.id', 'a.action', 'a.actor_id', 'u.name as actor_name', 'a.at', 'a.before', 'a.after');
  const imported = await db('transactions as t')
    .join('import_batches as b', 'b.id', 't.import_batch_id')
    .leftJoin('users as u', 'u.id', 'b.created_by')
    .where({ 't.business_id': businessId, 't.id': transactionId })
    .first('b.created_by as actor_id', 'u.name as actor_name', 'b.finished_at as at', 'b.filename', db.raw('to_jsonb(t) as after'));
  if (imported && !entries.some((e) => e.action === 'create')) {
    entries.unshift({ id: 0, action: 'create', actor_id: imported.actor_id, actor_name: imported.actor_name, at: imported.at, before: null, after: { ...imported.after, imported_from: imported.filename } });
  }
  return entries;
}

/** The before-image of the row's latest deletion, or null when its last entry is not a delete. */
export async function lastDeleted(db: Db, businessId: string, transactionId: string): Promise<Record<string, unknown> | null> {
  const row = await db('ledger_audit')
    .where({ business_id: businessId, transaction_id: transactionId })
    .orderBy('id', 'desc')
    .first('action', 'before');
  return row && row.action === 'delete' ? row.before : null;
}
