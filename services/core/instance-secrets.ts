import type { Db } from './db.ts';
import type { Config } from './config.ts';
import { randomToken } from './crypto.ts';

/**
 * The instance's own secret called `name`: made at random the first time it is asked
 * for and kept in the database, so each install has its own and every process of it
 * agrees. Two processes asking at once get the same one (the first insert wins).
 */
export async function instanceSecret(db: Db, name: string): Promise<string> {
  await db('instance_secrets')
    .insert({ name, value: randomToken(48) })
    .onConflict('name')
    .ignore();
  const row = await db('instance_secrets').where({ name }).first('value');
  return row.value;
}

/**
 * The config with the signing secrets the environment left unset filled in from the
 * instance's own (production refuses to start without them, in loadConfig).
 */
export async function withInstanceSecrets(db: Db, config: Config): Promise<Config> {
  return {
    ...config,
    sessionSecret: config.sessionSecret || (await instanceSecret(db, 'session')),
    jwtSecret: config.jwtSecret || (await instanceSecret(db, 'jwt')),
  };
}
