import { bootstrap } from './bootstrap.ts';

// `npm run migrate`: applies pending migrations (pm2 deploy runs this before reloading).
const { db, logger } = await bootstrap({ migrate: true });
logger.info('migrations current');
await db.destroy();
