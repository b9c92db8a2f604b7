import { mkdirSync } from 'node:fs';
import type { NextFunction, Request, Response } from 'express';
import multer from 'multer';
import { BadRequest } from '../../services/core/errors.ts';
import { assertNoControlCharacters } from './control-characters.ts';

/**
 * One uploaded file in a field named `file`, streamed to disk (never held in memory)
 * under a size limit; the service sniffs what it really is.
 */
export function singleFileUpload(dir: string, maxBytes: number) {
  const upload = multipart(dir, maxBytes);
  return (req: Request, res: Response, next: NextFunction) =>
    upload(req, res, (err: unknown) => {
      if (err) return next(err);
      try {
        assertNoControlCharacters(req.body, req.file?.originalname);
      } catch (refused) {
        return next(refused);
      }
      next();
    });
}

function multipart(dir: string, maxBytes: number) {
  mkdirSync(dir, { recursive: true });
  // Browsers send a file's name as UTF-8 without saying so; read as latin1 (the default),
  // "é😀名.png" was stored as mojibake.
  return multer({ dest: dir, defParamCharset: 'utf8', limits: { fileSize: maxBytes, files: 1, fields: 20, fieldSize: 64 * 1024 } }).single('file');
}

export function requireFile(file: Express.Multer.File | undefined): Express.Multer.File {
  if (!file) throw new BadRequest('Choose a file to upload.');
  return file;
}

/**
 * Reads one uploaded file inside a handler rather than as middleware, so the handler
 * can answer an oversized file as it answers any other refusal (its form again, with
 * the message). Resolves to undefined when no file was sent.
 */
export function receiveSingleFile(dir: string, maxBytes: number, tooLarge: () => Error) {
  const upload = multipart(dir, maxBytes);
  return (req: Request, res: Response) =>
    new Promise<Express.Multer.File | undefined>((resolve, reject) => {
      upload(req, res, (err: unknown) => {
        if (err instanceof multer.MulterError && err.code === 'LIMIT_FILE_SIZE') return reject(tooLarge());
        if (err) return reject(err);
        try {
          assertNoControlCharacters(req.body, req.file?.originalname);
        } catch (refused) {
          return reject(refused);
        }
        resolve(req.file);
      });
    });
}
