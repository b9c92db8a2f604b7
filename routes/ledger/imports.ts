import { rm } from 'node:fs/promises';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import * as imports from '../../services/ledger/imports/index.ts';
import { mappingForm, DATE_FORMATS_HINT } from '../../services/ledger/imports/ui.ts';
import type { AppDeps } from '../support/deps.ts';
import { Validation } from '../../services/core/errors.ts';
import { redirectAfterPost, render, wantsFragment } from '../support/render.ts';
import { parseForm, parseOrThrow } from '../support/validate.ts';
import { flash } from '../support/session.ts';
import { requireWriter } from '../support/tenant.ts';
import { requireFile, singleFileUpload } from '../support/upload.ts';
import { limitHeavy } from '../support/heavy.ts';
import { createReceiptStore } from '../../services/ledger/receipts/store.ts';

type Params = { businessId: string; batchId: string };

const batchView = { page: 'pages/imports/show.njk', partial: 'partials/imports/status.njk' };
const runForm = z.object({ skip_invalid: z.literal('on').optional() });
const decisionForm = z.object({ decision: z.enum(['keep', 'merge']) });

/** Statement imports: upload, map and preview, run with a progress bar, summary, undo, review of near matches. */
export function importRoutes(deps: AppDeps): Router {
  const { db, clock, config } = deps;
  const router = Router({ mergeParams: true });
  const store = createReceiptStore(config.receipts);
  const upload = singleFileUpload(imports.UPLOAD_DIR, imports.MAX_UPLOAD_BYTES);
  const actor = (res: Response) => ({ userId: res.locals.user.id as string, now: clock.now() });
  const home = (res: Response) => `/b/${res.locals.business.id}/imports`;

  /** Everything a batch page renders from: the batch, and by its status the preview or the near matches. */
  async function batchData(res: Response, batchId: string, extra: Record<string, unknown> = {}) {
    const batch = await imports.find(db, res.locals.business.id, batchId);
    // A pending upload always shows its rows: as they will land, or as the file has them while the mapping is not whole.
    const preview = batch.status === 'pending' ? await imports.preview(db, store, batch.business_id, batch.id).catch((err) => ({ error: err.message })) : null;
    const duplicates = batch.status === 'done' ? await imports.possibleDuplicates(db, batch.business_id, batch.id) : [];
    const values = (extra.values as Record<string, unknown> | undefined) ?? imports.mappingToEdit(batch);
    const dateChoices = imports.dateFormatChoices(batch.detected, values.date, values.date_format);
    return { batch, preview, duplicates, errors: {}, dateFormats: DATE_FORMATS_HINT, ...extra, values, dateChoices };
  }

  router.get('/imports', async (req, res) => {
    render(req, res, { page: 'pages/imports/index.njk' }, { batches: await imports.recent(db, res.locals.business.id) });
  });

  router.post('/imports', requireWriter, limitHeavy(deps, 'import'), upload, async (req, res) => {
    try {
      const batch = await imports.upload(db, store, res.locals.business, actor(res), requireFile(req.file));
      redirectAfterPost(req, res, `${home(res)}/${batch.id}`);
    } finally {
      if (req.file) await rm(req.file.path, { force: true });
    }
  });

  router.get('/imports/:batchId', async (req: Request<Params>, res) => {
    render(req, res, batchView, await batchData(res, req.params.batchId));
  });

  router.post('/imports/:batchId/mapping', requireWriter, async (req: Request<Params>, res) => {
    const input = parseForm(mappingForm, req.body);
    if (!input.ok) return render(req, res, { ...batchView, status: 422 }, await batchData(res, req.params.batchId, { values: req.body, errors: input.errors }));
    const saved = await imports.setMapping(db, res.locals.business.id, req.params.batchId, input.data).catch((err) => {
      if (err instanceof Validation) return err;
      throw err;
    });
    if (saved instanceof Validation) return render(req, res, { ...batchView, status: 422 }, await batchData(res, req.params.batchId, { values: req.body, errors: saved.details }));
    // From the page's htmx form, every change re-renders the mapping and the preview in place.
    if (wantsFragment(req)) return render(req, res, batchView, await batchData(res, req.params.batchId));
    redirectAfterPost(req, res, `${home(res)}/${req.params.batchId}`);
  });

  // Running an import is a resource (a run) so a plain form can start it; a worker runs it and the batch page polls.
  router.post('/imports/:batchId/run', requireWriter, async (req: Request<Params>, res) => {
    const input = parseOrThrow(runForm, req.body);
    const batch = await imports.start(db, res.locals.business.id, req.params.batchId, { skipInvalid: !!input.skip_invalid }, clock.now());
    deps.jobs?.nudge();
    redirectAfterPost(req, res, `${home(res)}/${batch.id}`);
  });

  router.post('/imports/:batchId/reversal', requireWriter, async (req: Request<Params>, res) => {
    const removed = await imports.undo(db, res.locals.business.id, actor(res), req.params.batchId);
    flash(req, 'success', `Import undone: ${removed} row${removed === 1 ? '' : 's'} removed from the ledger.`);
    redirectAfterPost(req, res, `${home(res)}/${req.params.batchId}`);
  });

  router.post('/possible-duplicates/:duplicateId', requireWriter, async (req: Request<{ businessId: string; duplicateId: string }>, res) => {
    const { decision } = parseOrThrow(decisionForm, req.body);
    const batchId = await imports.resolveDuplicate(db, res.locals.business.id, actor(res), req.params.duplicateId, decision);
    redirectAfterPost(req, res, `${home(res)}/${batchId}`);
  });

  return router;
}
