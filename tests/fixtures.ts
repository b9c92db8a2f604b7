import type { Signals } from '../services/readiness/recommendation-rules.ts';

/** Readiness figures and signals of a healthy business that calls for no recommendation. */
export const calm: Signals = {
  monthly_revenue: 40_000_00,
  currency: 'USD',
  revenue_growth: 0.1,
  revenue_volatility: 0.2,
  refund_rate: 0.02,
  chargeback_ratio: 0.002,
  payout_reliability: 1,
  gross_margin: 0.5,
  runway_months: 20,
  months_of_history: 30,
  top_customer_share: 0.05,
  previous_refund_rate: 0.02,
  campaigns: [{ id: 'c1', name: 'Search', platform: 'google', spend: 100_000, roas: 4 }],
  top_sku: { sku: 'A-1', share: 0.2 },
  uncategorised_expenses: { count: 0, amount: 0 },
};
