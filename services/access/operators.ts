import type { Config } from '../core/config.ts';
import { DEMO_EMAIL } from '../demo.ts';

/**
 * Whether the user runs this instance: named in OPERATOR_EMAILS, or the demo login of a
 * development install (whoever started it with `npm start` is at its keyboard).
 * Operators see /ops and, outside production, the mail outbox.
 */
export function isOperator(config: Config, email: string): boolean {
  const address = email.toLowerCase();
  return config.operatorEmails.includes(address) || (config.env === 'development' && address === DEMO_EMAIL);
}
