import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * True when the module at `moduleUrl` is what this process was started to run: `node` or
 * `tsx` name it in argv[1]; pm2 starts its own container script, which imports the app's
 * file by the path it leaves in `pm_exec_path`.
 */
export function isEntryPoint(moduleUrl: string, env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv): boolean {
  const entry = env.pm_exec_path || argv[1];
  return Boolean(entry) && moduleUrl === pathToFileURL(path.resolve(entry)).href;
}
