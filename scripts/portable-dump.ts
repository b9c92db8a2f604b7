// A portable dump (services/core/portable-dump.ts), gzipped: written from the configured database
// (embedded PGlite or PostgreSQL), or loaded into it after migrating it to the dump's migrations.
//   npx tsx scripts/portable-dump.ts dump FILE      (scripts/backup.sh --portable)
//   npx tsx scripts/portable-dump.ts load FILE      (scripts/restore.sh FILE.jsonl.gz)
//   npx tsx scripts/portable-dump.ts fingerprint    rows and checksum per table, as JSON
// Stop Bursar first on embedded PGlite: its database belongs to one process.
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { bootstrap } from './bootstrap.ts';
import { dumpDatabase, loadDump, tableFingerprints } from '../services/core/portable-dump.ts';

const [command, file] = process.argv.slice(2);
if (!['dump', 'load', 'fingerprint'].includes(command ?? '') || (command !== 'fingerprint' && !file)) {
  process.stderr.write('usage: scripts/portable-dump.ts dump FILE | load FILE | fingerprint\n');
  process.exit(2);
}
// Loading migrates the database to this release first; the dump must come from the same one.
const { db, logger } = await bootstrap({ migrate: command === 'load' });
try {
  if (command === 'dump') {
    const gzip = createGzip();
    const done = pipeline(gzip, createWriteStream(file));
    const counts = await dumpDatabase(db, async (line) => {
      if (!gzip.write(`${line}\n`)) await once(gzip, 'drain');
    });
    gzip.end();
    await done;
    logger.info({ file, rows: Object.values(counts).reduce((a, b) => a + b, 0), tables: Object.keys(counts).length }, 'portable dump written');
  } else if (command === 'load') {
    const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Number.POSITIVE_INFINITY });
    const counts = await loadDump(db, lines);
    logger.info({ file, rows: Object.values(counts).reduce((a, b) => a + b, 0), tables: Object.keys(counts).length }, 'portable dump loaded');
  } else {
    process.stdout.write(`${JSON.stringify(await tableFingerprints(db), null, 1)}\n`);
  }
} finally {
  await db.destroy();
}
