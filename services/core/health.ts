import type { Db } from './db.ts';
import { migrationsCurrent } from './db.ts';

export type HealthReport = { ok: boolean; database: 'ok' | 'unreachable'; migrations: 'current' | 'pending' | 'unknown'; version: string };

/** Whether this process can serve: the database answers and its schema is the one this build expects. */
export async function check(db: Db, version: string): Promise<HealthReport> {
  try {
    await db.raw('select 1');
  } catch {
    return { ok: false, database: 'unreachable', migrations: 'unknown', version };
  }
  const current = await migrationsCurrent(db).catch(() => false);
  return { ok: current, database: 'ok', migrations: current ? 'current' : 'pending', version };
}
