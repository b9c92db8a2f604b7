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
  /** A system actor (`system:<name>`), or the database role of a write no actor was set for. */
  actor_label: string | null;
  actor_name: string | null;
  at: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
};

/**
 * Who changes the ledger: a signed-in user, or a named part of Bursar (a job, a sync,
 * the demo seed) acting for nobody. `now` is the time the trail records.
 */
export type Actor = { userId: string | null; now: Date; system?: string };

/** The actor for work no user asked for; `name` says which, e.g. the job's name. */
export function systemActor(name: string, now: Date): Actor {
  return { userId: null, system: name, now };
}

/**
 * Names the actor of the ledger writes that follow in this transaction. The database's
 * triggers write the audit trail (migration 021) and read who acted from these
 * transaction-local settings, so they end with the transaction and cannot leak to the
 * next user of a pooled connection. Throws outside a transaction, where a
 * transaction-local setting would be gone before the write it is meant for.
 */
export async function actAs(trx: Db, actor: Actor): Promise<void> {
  if (!trx.isTransaction) throw new Error('actAs needs a transaction: the actor is set for one transaction only.');
  await trx.raw(`select set_config('bursar.actor', ?, true), set_config('bursar.at', ?, true), set_config('bursar.audit_action', '', true)`, [
    actor.userId ?? `system:${actor.system ?? 'unnamed'}`,
    actor.now.toISOString(),
  ]);
}

/**
 * Runs `insert` with its new rows audited as restored rather than created (the restore
 * of a deleted row inserts its old image again), then goes back to plain creates.
 */
export async function restoring<T>(trx: Db, insert: () => Promise<T>): Promise<T> {
  await trx.raw(`select set_config('bursar.audit_action', 'restore', true)`);
  const result = await insert();
  await trx.raw(`select set_config('bursar.audit_action', '', true)`);
  return result;
}

/**
 * Every entry about one ledger row of the business, oldest first. An entry that
 * created a row by an import names the file (`after.imported_from`).
 */
export async function history(db: Db, businessId: string, transactionId: string): Promise<AuditEntry[]> {
  const entries: (AuditEntry & { filename: string | null })[] = await db('ledger_audit as a')
    .leftJoin('users as u', 'u.id', 'a.actor_id')
    .leftJoin('import_batches as b', (j) => j.on('b.business_id', 'a.business_id').andOn(db.raw(`b.id::text = a.after->>'import_batch_id'`)).andOnVal('a.action', 'create'))
    .where({ 'a.business_id': businessId, 'a.transaction_id': transactionId })
    // A row is created once (a re-insert is a restore), so its create comes first even where
    // migration 021 wrote it late, for rows imported before the triggers.
    .orderByRaw(`a.action = 'create' desc, a.id`)
    .select('a.id', 'a.action', 'a.actor_id', 'a.actor_label', 'u.name as actor_name', 'a.at', 'a.before', 'a.after', 'b.filename');
  return entries.map(({ filename, ...e }) => (filename !== null && e.after ? { ...e, after: { ...e.after, imported_from: filename } } : e));
}

/** The before-image of the row's latest deletion, or null when its last entry is not a delete. */
export async function lastDeleted(db: Db, businessId: string, transactionId: string): Promise<Record<string, unknown> | null> {
  const row = await db('ledger_audit').where({ business_id: businessId, transaction_id: transactionId }).orderBy('id', 'desc').first('action', 'before');
  return row && row.action === 'delete' ? row.before : null;
}

export type DeletedRow = { audit_id: number; transaction_id: string; at: string; actor_name: string | null; actor_label: string | null; before: Record<string, unknown> };

/**
 * The trash: rows of `kind` whose latest audit entry is a deletion (so they are not in the
 * ledger now), most recently deleted first, `limit` at a time; `beforeId` pages on from an
 * entry's id. Each carries the before-image a restore puts back.
 */
export async function deletedRows(db: Db, businessId: string, kind: string, opts: { limit?: number; beforeId?: number } = {}): Promise<DeletedRow[]> {
  const limit = opts.limit ?? 50;
  const latest = db('ledger_audit as a')
    .where({ 'a.business_id': businessId, 'a.action': 'delete' })
    .whereRaw(`a.before->>'kind' = ?`, [kind])
    .modify((q) => {
      if (opts.beforeId) q.where('a.id', '<', opts.beforeId);
    })
    // A later entry about the same row (a restore, an update since) means it is no longer deleted.
    .whereNotExists(db('ledger_audit as l').where('l.business_id', businessId).whereRaw('l.transaction_id = a.transaction_id and l.id > a.id'))
    .orderBy('a.id', 'desc')
    .limit(limit)
    .select('a.id', 'a.transaction_id', 'a.at', 'a.actor_id', 'a.actor_label', 'a.before');
  const rows = await db
    .from(latest.as('d'))
    .leftJoin('users as u', 'u.id', 'd.actor_id')
    .orderBy('d.id', 'desc')
    .select('d.id as audit_id', 'd.transaction_id', 'd.at', 'd.actor_label', 'u.name as actor_name', 'd.before');
  return rows;
}
