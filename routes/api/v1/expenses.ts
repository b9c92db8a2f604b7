import { Router, type Request } from 'express';
import { z } from 'zod';
import * as expenses from '../../../services/ledger/expenses.ts';
import * as categories from '../../../services/ledger/categories.ts';
import type { AppDeps } from '../../support/deps.ts';
import { requireWriter } from '../../support/tenant.ts';
import { parseOrThrow } from '../../support/validate.ts';

const listQuery = z.object({
  business_id: z.string().optional(),
  start_date: z.string().optional(),
  end_date: z.string().optional(),
  category: z.string().optional(),
  q: z.string().optional(),
  limit: z.string().optional(),
  cursor: z.string().optional(),
  sort: z.string().optional(),
});

/** An expense as the API shows it: minor units spent and ISO dates (DESIGN.md). */
function toJson(e: expenses.Expense) {
  return {
    id: e.id,
    amount: e.spent,
    currency: e.currency,
    amount_base: e.spent_base,
    description: e.description,
    vendor: e.counterparty,
    category: e.category_id ? { id: e.category_id, name: e.category_name, icon: e.category_icon } : null,
    spent_on: e.occurred_on,
    source: e.source,
  };
}

/** /expenses and /categories of the JSON API, on the same services as the pages. */
export function expenseApiRoutes({ db, clock }: AppDeps): Router {
  const router = Router();
  const actor = (userId: string) => ({ userId, now: clock.now() });

  router.get('/expenses', async (req, res) => {
    const { business } = res.locals;
    const q = parseOrThrow(listQuery, req.query);
    const query = parseOrThrow(expenses.filterQuery, { from: q.start_date, to: q.end_date, category: q.category, q: q.q, limit: q.limit, cursor: q.cursor, sort: q.sort });
    const page = await expenses.list(db, business.id, expenses.toFilter(query, business.currency, business.decimal_mark));
    res.json({ expenses: page.expenses.map(toJson), next_cursor: page.nextCursor });
  });

  router.post('/expenses', requireWriter, async (req, res) => {
    const { business } = res.locals;
    const input = await expenses.fromApi(db, business, parseOrThrow(expenses.expenseApiBody, req.body));
    res.status(201).json(toJson(await expenses.create(db, business, actor(res.locals.user.id), input)));
  });

  router.put('/expenses/:id', requireWriter, async (req: Request<{ id: string }>, res) => {
    const { business } = res.locals;
    const input = await expenses.fromApi(db, business, parseOrThrow(expenses.expenseApiBody, req.body));
    res.json(toJson(await expenses.update(db, business, actor(res.locals.user.id), req.params.id, input)));
  });

  router.delete('/expenses/:id', requireWriter, async (req: Request<{ id: string }>, res) => {
    const { business } = res.locals;
    await expenses.remove(db, business.id, actor(res.locals.user.id), req.params.id);
    res.status(204).end();
  });

  router.get('/categories', async (_req, res) => {
    const { business } = res.locals;
    const list = await categories.list(db, business.id);
    res.json({ categories: list.map(({ id, name, icon }) => ({ id, name, icon })) });
  });

  return router;
}
