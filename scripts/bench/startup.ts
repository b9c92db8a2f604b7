// Time from `npm start` to a healthy /health on embedded PGlite, first start (empty
// ./data: initdb, migrations, demo seed) and a second start reusing the data.
// Prints JSON. Usage: npx tsx scripts/bench/startup.ts
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

async function timeStart(dataDir: string, port: number): Promise<{ ms: number; rssMb: number | null }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    env: { ...process.env, PGLITE_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: 'ignore',
  });
  try {
    // Up to 3 minutes: a first start on a loaded machine (initdb, migrations, demo seed) can take more than one.
    for (let i = 0; i < 3600; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/health`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) return { ms: Math.round(performance.now() - started), rssMb: null };
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('server did not become healthy within 3 minutes');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'bursar-bench-'));
try {
  const first = await timeStart(path.join(dir, 'pglite'), 3901);
  const second = await timeStart(path.join(dir, 'pglite'), 3902);
  process.stdout.write(`${JSON.stringify({ bench: 'startup', first_start_ms: first.ms, second_start_ms: second.ms, budget_second_start_ms: 5000 })}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
