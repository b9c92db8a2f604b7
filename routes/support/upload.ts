import { mkdirSync } from 'node:fs';
import multer from 'multer';
import { BadRequest } from '../../services/core/errors.ts';

/**
 * One uploaded file in a field named `file`, streamed to disk (never held in memory)
 * under a size limit; the service sniffs what it really is.
 */
export function singleFileUpload(dir: string, maxBytes: number) {
  mkdirSync(dir, { recursive: true });
  return multer({ dest: dir, limits: { fileSize: maxBytes, files: 1, fields: 20, fieldSize: 64 * 1024 } }).single('file');
}

export function requireFile(file: Express.Multer.File | undefined): Express.Multer.File {
  if (!file) throw new BadRequest('Choose a file to upload.');
  return file;
}
