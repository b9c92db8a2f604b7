import { rm } from 'node:fs/promises';
import { Router, type Request } from 'express';
import * as receipts from '../../../services/ledger/receipts/index.ts';
import type { AppDeps } from '../../support/deps.ts';
import { requireWriter } from '../../support/tenant.ts';
import { receiveSingleFile } from '../../support/upload.ts';
import { sendStoredFile } from '../../support/download.ts';
import { Validation } from '../../../services/core/errors.ts';
import { RECEIPT_UPLOAD_DIR } from '../../ledger/receipts.ts';

type Params = { id: string; receiptId: string };

/** A receipt as the API shows it; `url` downloads the bytes. */
function toJson(r: receipts.Receipt) {
  return {
    id: r.id,
    expense_id: r.ledger_entry_id,
    content_type: r.content_type,
    byte_size: r.byte_size,
    sha256: r.sha256,
    original_name: r.original_name,
    has_thumbnail: r.has_thumbnail,
    created_at: r.created_at,
    url: `/api/v1/expenses/${r.ledger_entry_id}/receipts/${r.id}`,
  };
}

/** /expenses/:id/receipts of the JSON API: list, attach (multipart `file`), download, delete. */
export function receiptApiRoutes({ db, config, clock }: AppDeps): Router {
  const router = Router();
  const store = receipts.createReceiptStore(config.receipts);
  const maxBytes = config.receipts.maxBytes;
  const receive = receiveSingleFile(RECEIPT_UPLOAD_DIR, maxBytes, () => receipts.tooLarge(maxBytes));

  router.get('/expenses/:id/receipts', async (req: Request<Params>, res) => {
    const { business } = res.locals;
    res.json({ receipts: (await receipts.list(db, business.id, req.params.id)).map(toJson) });
  });

  router.post('/expenses/:id/receipts', requireWriter, async (req: Request<Params>, res) => {
    const { business } = res.locals;
    // Read in the handler so an oversized file is a 413 naming the field; it is removed whatever happens.
    const file = await receive(req, res);
    try {
      if (!file) throw new Validation({ file: ['Send the receipt as a multipart field named file.'] });
      const receipt = await receipts.attach(db, store, business.id, { userId: res.locals.user.id, now: clock.now() }, req.params.id, file, maxBytes);
      res.status(201).json(toJson(receipt));
    } finally {
      if (file) await rm(file.path, { force: true });
    }
  });

  router.get('/expenses/:id/receipts/:receiptId', async (req: Request<Params>, res) => {
    const { business } = res.locals;
    const { receipt, body } = await receipts.open(db, store, business.id, req.params.id, req.params.receiptId);
    await sendStoredFile(res, { body, contentType: receipt.content_type, size: receipt.byte_size, etag: receipt.sha256, name: receipt.original_name, disposition: 'attachment' });
  });

  router.delete('/expenses/:id/receipts/:receiptId', requireWriter, async (req: Request<Params>, res) => {
    const { business } = res.locals;
    await receipts.remove(db, store, business.id, req.params.id, req.params.receiptId);
    res.status(204).end();
  });

  return router;
}
