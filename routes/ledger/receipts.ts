import os from 'node:os';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { Router, type Request, type Response } from 'express';
import * as receipts from '../../services/ledger/receipts/index.ts';
import * as expenses from '../../services/ledger/expenses.ts';
import { TooLarge, Validation } from '../../services/core/errors.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render, wantsFragment } from '../support/render.ts';
import { flash } from '../support/session.ts';
import { requireWriter } from '../support/tenant.ts';
import { receiveSingleFile } from '../support/upload.ts';
import { sendStoredFile } from '../support/download.ts';

type Params = { businessId: string; expenseId: string; receiptId: string };

/** Where uploads wait while they are checked; the store gets them only once accepted. */
export const RECEIPT_UPLOAD_DIR = path.join(os.tmpdir(), 'bursar-receipts');

const panelView = { page: 'pages/receipts/index.njk', partial: 'partials/receipts/panel.njk' };

/** Receipts of one expense: the panel, attach (a plain multipart form or htmx), download, thumbnail, remove. */
export function receiptRoutes(deps: AppDeps): Router {
  const { db, config, clock } = deps;
  const router = Router({ mergeParams: true });
  const store = receipts.createReceiptStore(config.receipts);
  const maxBytes = config.receipts.maxBytes;
  const receive = receiveSingleFile(RECEIPT_UPLOAD_DIR, maxBytes, () => receipts.tooLarge(maxBytes));
  const home = (res: Response, expenseId: string) => `/b/${res.locals.business.id}/expenses/${expenseId}/receipts`;

  /** Everything the panel renders from. */
  async function panelData(res: Response, expenseId: string, errors: Record<string, string[]> = {}) {
    const expense = await expenses.find(db, res.locals.business.id, expenseId);
    const list = await receipts.list(db, res.locals.business.id, expense.id);
    return { expense, receipts: list, errors, maxSize: receipts.formatBytes(maxBytes) };
  }

  router.get('/expenses/:expenseId/receipts', async (req: Request<Params>, res) => {
    render(req, res, panelView, await panelData(res, req.params.expenseId));
  });

  router.post('/expenses/:expenseId/receipts', requireWriter, async (req: Request<Params>, res) => {
    const actor = { userId: res.locals.user.id as string, now: clock.now() };
    let file: Express.Multer.File | undefined;
    try {
      file = await receive(req, res);
      if (!file) throw new Validation({ file: ['Choose a photo or PDF to attach.'] });
      await receipts.attach(db, store, res.locals.business.id, actor, req.params.expenseId, file, maxBytes);
    } catch (err) {
      if (!(err instanceof Validation || err instanceof TooLarge)) throw err;
      return render(req, res, { ...panelView, status: 422 }, await panelData(res, req.params.expenseId, err.details));
    } finally {
      if (file) await rm(file.path, { force: true });
    }
    if (!wantsFragment(req)) {
      flash(req, 'success', 'Receipt attached.');
      return redirectAfterPost(req, res, home(res, req.params.expenseId));
    }
    render(req, res, panelView, await panelData(res, req.params.expenseId));
  });

  // Images and PDFs open in the browser; `?download=1` saves them instead.
  router.get('/expenses/:expenseId/receipts/:receiptId', async (req: Request<Params>, res) => {
    const { receipt, body } = await receipts.open(db, store, res.locals.business.id, req.params.expenseId, req.params.receiptId);
    const disposition = req.query.download ? 'attachment' : 'inline';
    await sendStoredFile(res, { body, contentType: receipt.content_type, size: receipt.byte_size, etag: receipt.sha256, name: receipt.original_name, disposition });
  });

  router.get('/expenses/:expenseId/receipts/:receiptId/thumbnail', async (req: Request<Params>, res) => {
    const { receipt, body } = await receipts.openThumbnail(db, store, res.locals.business.id, req.params.expenseId, req.params.receiptId);
    await sendStoredFile(res, { body, contentType: 'image/webp', etag: `${receipt.sha256}-thumb`, name: 'thumbnail.webp', disposition: 'inline' });
  });

  router.post('/expenses/:expenseId/receipts/:receiptId/deletion', requireWriter, async (req: Request<Params>, res) => {
    const receipt = await receipts.remove(db, store, res.locals.business.id, req.params.expenseId, req.params.receiptId);
    if (!wantsFragment(req)) {
      flash(req, 'info', `Removed “${receipt.original_name}”.`);
      return redirectAfterPost(req, res, home(res, req.params.expenseId));
    }
    render(req, res, panelView, await panelData(res, req.params.expenseId));
  });

  return router;
}
