import type { Job } from '../services/jobs/runtime.ts';
import * as rates from '../services/ledger/exchange-rates.ts';

/**
 * Daily, after the reference rates are published (around 16:00 CET): foreign
 * expenses of the day convert at that day's rate. Safe to repeat: a day's rate is an upsert.
 */
const job: Job = {
  name: 'sync-rates',
  schedule: '30 17 * * *',
  run: async ({ db, config, logger }) => {
    if (!config.ratesUrl) {
      logger.debug('RATES_URL is not set; rates are entered by hand');
      return { skipped: 'RATES_URL not set' };
    }
    return { stored: await rates.syncRates(db, config.ratesUrl) };
  },
};
export default job;
