import { rm } from 'node:fs/promises';
import { Router } from 'express';
import { z } from 'zod';
import * as imports from '../../../services/ledger/imports/index.ts';
import type { AppDeps } from '../../support/deps.ts';
import { resolveBusiness } from '../../support/tenant.ts';
import { parseOrThrow } from '../../support/validate.ts';
import { requireFile, singleFileUpload } from '../../support/upload.ts';
import { Forbidden } from '../../../services/core/errors.ts';

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
  dry_run: z.enum(['true', 'false', '1', '0']).optional().transform((v) => v === 'true' || v === '1'),
  skip_invalid: z.enum(['true', 'false', '1', '0']).optional().transform((v) => v === 'true' || v === '1'),
});

const WRITERS = ['owner', 'admin', 'member'];

/** Viewers read only: the API's counterpart of requireWriter. */
export function assertWriter(role: string): void {
  if (!WRITERS.includes(role)) throw new Forbidden('Your role in this business does not allow this.');
}

/** POST /imports (multipart) and DELETE /imports/:id, on the same services as the pages. */
export function importApiRoutes({ db, clock }: AppDeps): Router {
  const router = Router();
  const upload = singleFileUpload(imports.UPLOAD_DIR, imports.MAX_UPLOAD_BYTES);

  router.post('/imports', upload, async (req, res) => {
    try {
      const { business, role } = resolveBusiness(req, res);
      assertWriter(role);
      const input = parseOrThrow(body, req.body);
      const file = requireFile(req.file);
      const options = { mapping: input.mapping, dryRun: input.dry_run, skipInvalid: input.skip_invalid };
      res.status(201).json(await imports.importFile(db, business, { userId: res.locals.user.id, now: clock.now() }, file, options));
    } finally {
      // Refused or failed uploads must not pile up on disk; an accepted one has been moved already.
      if (req.file) await rm(req.file.path, { force: true });
    }
  });

  router.delete('/imports/:id', async (req, res) => {
    const { business, role } = resolveBusiness(req, res);
    assertWriter(role);
    await imports.undo(db, business.id, { userId: res.locals.user.id, now: clock.now() }, req.params.id);
    res.status(204).end();
  });

  return router;
}
