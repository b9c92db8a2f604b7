import { bootstrap } from './bootstrap.ts';
import { DEMO_EMAIL, DEMO_PASSWORD, seedDemo } from '../services/demo.ts';

// `npm run seed`: the demo user and businesses, unless they exist. Never in production.
const { db, config, clock } = await bootstrap();
if (config.isProduction) {
  process.stderr.write('The demo data is never seeded in production.\n');
  process.exit(1);
}
const result = await seedDemo(db, clock);
process.stdout.write(result ? `Seeded ${result.rows} ledger rows. Sign in as ${DEMO_EMAIL} / ${DEMO_PASSWORD}\n` : 'Demo data already present.\n');
await db.destroy();
