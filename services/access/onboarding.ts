import type { Db } from '../core/db.ts';

/**
 * The first-run checklist on a new business's dashboard: the steps that bring a business's
 * real figures in, each ticked from what the business has actually done (never from a
 * click on the list), shown until every step is done or a member hides it. Demo
 * businesses never show it.
 */

export type ChecklistItem = { key: 'connect' | 'import' | 'invite' | 'ask'; label: string; hint: string; done: boolean; href: string; action: string };

/** The checklist of the business, or null when it is not shown (a demo business, hidden, or all done). */
export async function checklist(db: Db, business: { id: string; is_demo?: boolean }): Promise<ChecklistItem[] | null> {
  if (business.is_demo) return null;
  const row = await db('businesses as b')
    .where('b.id', business.id)
    .first(
      'b.checklist_dismissed_at',
      db.raw(`exists (select 1 from integrations i where i.business_id = b.id and i.status <> 'disconnected') as connected`),
      db.raw(`exists (select 1 from import_batches ib where ib.business_id = b.id and ib.status = 'done') as imported`),
      db.raw(`(exists (select 1 from invitations iv where iv.business_id = b.id and iv.revoked_at is null)
               or (select count(*) from memberships m where m.business_id = b.id) > 1) as invited`),
      db.raw(`exists (select 1 from conversations c where c.business_id = b.id) as asked`),
    );
  if (!row || row.checklist_dismissed_at) return null;
  const base = `/b/${business.id}`;
  const items: ChecklistItem[] = [
    {
      key: 'connect',
      label: 'Connect Stripe or a bank',
      hint: 'Sales, fees, refunds and payouts arrive by themselves from then on.',
      done: row.connected,
      href: `${base}/connections`,
      action: 'Connect',
    },
    {
      key: 'import',
      label: 'Import a bank statement',
      hint: 'A CSV from your bank or card: Bursar recognises the columns and shows a preview first.',
      done: row.imported,
      href: `${base}/imports`,
      action: 'Import a statement',
    },
    { key: 'invite', label: 'Invite your bookkeeper', hint: 'They get their own sign-in, with the role you choose.', done: row.invited, href: `${base}/members`, action: 'Invite' },
    { key: 'ask', label: 'Ask the AI CFO a question', hint: 'For example “What is my runway?” — answers come from your own figures.', done: row.asked, href: `${base}/chat`, action: 'Ask' },
  ];
  return items.every((i) => i.done) ? null : items;
}

/** Hides the checklist of the business for every member. */
export async function dismiss(db: Db, businessId: string, now: Date): Promise<void> {
  await db('businesses').where({ id: businessId }).update({ checklist_dismissed_at: now });
}
