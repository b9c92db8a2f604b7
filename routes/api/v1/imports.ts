import { rm } from 'node:fs/promises';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import * as imports from '../../../services/ledger/imports/index.ts';
import type { AppDeps } from '../../support/deps.ts';
import { requireWriter } from '../../support/tenant.ts';
import { parseOrThrow } from '../../support/validate.ts';
import { requireFile, singleFileUpload } from '../../support/upload.ts';
import { createReceiptStore } from '../../../services/ledger/receipts/store.ts';

const body = z.object({
  business_id: z.string().optional(),
  mapping: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (!s) return undefined;
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'mapping must be JSON.' });
        return z.NEVER;
      }
    })
    .pipe(imports.mappingSchema.optional()),
  dry_run: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => v === 'true' || v === '1'),
  skip_invalid: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => v === 'true' || v === '1'),
});

/**
 * Reads the multipart form of POST /imports (its business_id is a field of it) before
 * the business is resolved. The file is removed once the answer is sent: a refused or
 * failed upload must not pile up on disk, and an accepted one has been moved already.
 */
export function readImportForm() {
  const upload = singleFileUpload(imports.UPLOAD_DIR, imports.MAX_UPLOAD_BYTES);
  return (req: Request, res: Response, next: NextFunction) => {
    res.on('close', () => {
      if (req.file) rm(req.file.path, { force: true }).catch((err: unknown) => req.log.warn({ err, path: req.file?.path }, 'an upload was not removed'));
    });
    upload(req, res, next);
  };
}

/**
 * A batch as the API reports it: the summary once done (or dry-run), the error of a file
 * that did not import (422, as the synchronous import answered), else 202 and its progress.
 */
function answer(res: Response, batch: imports.Batch, doneStatus: number): void {
  if (batch.status === 'done' || batch.status === 'undone' || (batch.status === 'failed' && batch.error === 'dry run')) {
    res.status(doneStatus).json({ ...imports.summaryOf(batch), status: batch.status === 'failed' ? 'dry_run' : batch.status });
    return;
  }
  if (batch.status === 'failed') throw new imports.UnreadableFile(batch.error ?? 'The import failed.', batch.failed[0]?.line);
  res.status(202).json({ batch_id: batch.id, status: 'running', rows_read: batch.processed_rows, bytes_read: Number(batch.bytes_read), file_size: Number(batch.file_size) });
}

/** POST /imports (multipart, read by readImportForm) and DELETE /imports/:id, on the same services as the pages. */
export function importApiRoutes({ db, clock, config, jobs }: AppDeps): Router {
  const router = Router();
  const store = createReceiptStore(config.receipts);

  // Waits up to IMPORT_WAIT_MS for the worker: 201 with the summary when it finished, else
  // 202 with the batch to ask about (GET /imports/:id).
  router.post('/imports', requireWriter, async (req, res) => {
    const { business } = res.locals;
    const input = parseOrThrow(body, req.body);
    const file = requireFile(req.file);
    const options = { mapping: input.mapping, dryRun: input.dry_run, skipInvalid: input.skip_invalid };
    const started = await imports.importFile(db, store, business, { userId: res.locals.user.id, now: clock.now() }, file, options);
    jobs?.nudge();
    const batch = await imports.waitFor(db, business.id, started.id, config.importWaitMs);
    answer(res, batch, 201);
  });

  router.get('/imports/:id', async (req: Request<{ id: string }>, res) => {
    answer(res, await imports.find(db, res.locals.business.id, req.params.id), 200);
  });

  router.delete('/imports/:id', requireWriter, async (req: Request<{ id: string }>, res) => {
    const { business } = res.locals;
    await imports.undo(db, business.id, { userId: res.locals.user.id, now: clock.now() }, req.params.id);
    res.status(204).end();
  });

  return router;
}
