import { rm } from 'node:fs/promises';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import * as imports from '../../../services/ledger/imports/index.ts';
import type { AppDeps } from '../../support/deps.ts';
import { requireWriter } from '../../support/tenant.ts';
import { parseOrThrow } from '../../support/validate.ts';
import { requireFile, singleFileUpload } from '../../support/upload.ts';

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

/** POST /imports (multipart, read by readImportForm) and DELETE /imports/:id, on the same services as the pages. */
export function importApiRoutes({ db, clock }: AppDeps): Router {
  const router = Router();

  router.post('/imports', requireWriter, async (req, res) => {
    const { business } = res.locals;
    const input = parseOrThrow(body, req.body);
    const file = requireFile(req.file);
    const options = { mapping: input.mapping, dryRun: input.dry_run, skipInvalid: input.skip_invalid };
    res.status(201).json(await imports.importFile(db, business, { userId: res.locals.user.id, now: clock.now() }, file, options));
  });

  router.delete('/imports/:id', requireWriter, async (req: Request<{ id: string }>, res) => {
    const { business } = res.locals;
    await imports.undo(db, business.id, { userId: res.locals.user.id, now: clock.now() }, req.params.id);
    res.status(204).end();
  });

  return router;
}
