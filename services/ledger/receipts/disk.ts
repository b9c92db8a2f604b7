import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { NotFound } from '../../core/errors.ts';
import { assertKey } from './keys.ts';
import type { ReceiptStore } from './store.ts';

/**
 * Receipts as files under one directory (RECEIPTS_DIR), one folder per business.
 * A put writes a temporary file and renames it, so a reader never sees half a file.
 */
export function diskStore(dir: string): ReceiptStore {
  const root = path.resolve(dir);
  const fileOf = (key: string) => {
    assertKey(key);
    return path.join(root, key);
  };

  return {
    async put(key, body) {
      const file = fileOf(key);
      await mkdir(path.dirname(file), { recursive: true });
      const partial = `${file}.${randomUUID()}.partial`;
      try {
        await pipeline(body, createWriteStream(partial, { flags: 'wx' }));
        await rename(partial, file);
      } catch (err) {
        await rm(partial, { force: true });
        throw err;
      }
    },

    async get(key) {
      // Opened here, so a missing file is a NotFound now rather than a stream error later.
      const handle = await open(fileOf(key), 'r').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') throw new NotFound('The receipt file is missing.');
        throw err;
      });
      return handle.createReadStream();
    },

    async delete(key) {
      await rm(fileOf(key), { force: true });
    },
  };
}
