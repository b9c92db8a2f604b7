import { minorDigits, numberFormat } from '../core/money.ts';

/**
 * The funding-readiness score: ten components, each scored by fixed thresholds
 * and weighted to a maximum that sums to 100. Pure, so every threshold can be
 * tested; knowledge/readiness-score-explained.md documents the same table, and
 * the readiness page shows each component's points and the figure behind them.
 */

export type ReadinessInputs = {
  /** Net revenue over the last 30 days, base-currency minor units (the metrics' revenue_total). */
  monthly_revenue: number | null;
  currency: string;
  /** Revenue growth year on year (month on month with under a year of history); 0.12 = +12 %. */
  revenue_growth: number | null;
  /** Coefficient of variation of weekly revenue over the last 12 weeks. */
  revenue_volatility: number | null;
  /** Refunds ÷ sales over the last 90 days. */
  refund_rate: number | null;
  /** Chargebacks ÷ sales transactions over the last 90 days (count based, as card networks measure). */
  chargeback_ratio: number | null;
  /** Share of the last 13 weeks with at least one payout. */
  payout_reliability: number | null;
  /** (Revenue − cost of goods) ÷ revenue over the last 90 days. */
  gross_margin: number | null;
  /** Runway as services/reports/definitions.ts defines it; null (not burning) counts as unlimited. */
  runway_months: number | null;
  /** Whole months between the first ledger row and today. */
  months_of_history: number;
  /** The largest single customer's share of revenue over the last 12 months. */
  top_customer_share: number | null;
};

export type Tier = 'not_ready' | 'emerging' | 'ready' | 'strong';

export type Component = {
  key: string;
  label: string;
  max: number;
  points: number;
  /** The figure behind the points, formatted for people; null when there is no data yet. */
  figure: string | null;
  /** How the points were decided, in one sentence. */
  reason: string;
  /** What would earn more points; null at full marks. */
  toRaise: string | null;
};

export type Readiness = { score: number; tier: Tier; components: Component[] };

type Step = { atLeast: number; points: number };

/** Points for the first step whose threshold the value reaches (steps ordered best first). */
function stepUp(value: number, steps: Step[]): { points: number; next: Step | null } {
  for (let i = 0; i < steps.length; i++) {
    if (value >= steps[i].atLeast) return { points: steps[i].points, next: i > 0 ? steps[i - 1] : null };
  }
  return { points: 0, next: steps[steps.length - 1] };
}

/** The same for "lower is better" figures: the first step whose ceiling the value stays under. */
function stepDown(value: number, steps: { below: number; points: number }[]): { points: number; next: { below: number; points: number } | null } {
  for (let i = 0; i < steps.length; i++) {
    if (value < steps[i].below) return { points: steps[i].points, next: i > 0 ? steps[i - 1] : null };
  }
  return { points: 0, next: steps[steps.length - 1] };
}

/** A ratio as people read it, in the metrics page's style: 0.0312 → '3.1%'. */
export const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;

/** Whole units of money for sentences: 1234567 USD minor units → '$12,346'. */
export function money(minor: number, currency: string): string {
  return numberFormat('en-US', { style: 'currency', currency, maximumFractionDigits: 0 }).format(minor / 10 ** minorDigits(currency));
}

export const REVENUE_STEPS: Step[] = [
  { atLeast: 100_000_00, points: 15 },
  { atLeast: 50_000_00, points: 12 },
  { atLeast: 20_000_00, points: 9 },
  { atLeast: 10_000_00, points: 6 },
  { atLeast: 5_000_00, points: 3 },
];
export const GROWTH_STEPS: Step[] = [
  { atLeast: 0.3, points: 10 },
  { atLeast: 0.15, points: 8 },
  { atLeast: 0.05, points: 6 },
  { atLeast: 0, points: 4 },
  { atLeast: -0.1, points: 2 },
];
export const VOLATILITY_STEPS = [
  { below: 0.15, points: 15 },
  { below: 0.25, points: 12 },
  { below: 0.35, points: 9 },
  { below: 0.5, points: 5 },
];
export const REFUND_STEPS = [
  { below: 0.02, points: 10 },
  { below: 0.05, points: 7 },
  { below: 0.08, points: 4 },
  { below: 0.12, points: 2 },
];
/** 0.9 % and 1 % are where card networks start monitoring a merchant's disputes. */
export const CHARGEBACK_STEPS = [
  { below: 0.005, points: 15 },
  { below: 0.0065, points: 12 },
  { below: 0.009, points: 8 },
  { below: 0.01, points: 3 },
];
export const PAYOUT_STEPS: Step[] = [
  { atLeast: 0.98, points: 5 },
  { atLeast: 0.9, points: 3 },
  { atLeast: 0.75, points: 1 },
];
export const MARGIN_STEPS: Step[] = [
  { atLeast: 0.6, points: 10 },
  { atLeast: 0.45, points: 8 },
  { atLeast: 0.3, points: 6 },
  { atLeast: 0.15, points: 3 },
];
export const RUNWAY_STEPS: Step[] = [
  { atLeast: 18, points: 10 },
  { atLeast: 12, points: 8 },
  { atLeast: 6, points: 5 },
  { atLeast: 3, points: 2 },
];
export const HISTORY_STEPS: Step[] = [
  { atLeast: 24, points: 5 },
  { atLeast: 12, points: 4 },
  { atLeast: 6, points: 2 },
];
export const CONCENTRATION_STEPS = [
  { below: 0.1, points: 5 },
  { below: 0.25, points: 3 },
  { below: 0.5, points: 1 },
];

export const TIERS: { min: number; tier: Tier; label: string }[] = [
  { min: 80, tier: 'strong', label: 'Strong' },
  { min: 60, tier: 'ready', label: 'Ready' },
  { min: 40, tier: 'emerging', label: 'Emerging' },
  { min: 0, tier: 'not_ready', label: 'Not ready' },
];

export function tierFor(score: number): Tier {
  return TIERS.find((t) => score >= t.min)!.tier;
}

const NO_DATA = 'Not enough data yet: this counts 0 until Bursar has the figures.';

export function scoreReadiness(m: ReadinessInputs): Readiness {
  const components: Component[] = [];
  const up = (key: string, label: string, max: number, value: number | null, steps: Step[], show: (v: number) => string, advice: string) => {
    if (value === null) return components.push({ key, label, max, points: 0, figure: null, reason: NO_DATA, toRaise: advice });
    const { points, next } = stepUp(value, steps);
    components.push({
      key,
      label,
      max,
      points,
      figure: show(value),
      reason: `${show(value)} earns ${points} of ${max} points.`,
      toRaise: next ? `Reach ${show(next.atLeast)} for ${next.points} points. ${advice}` : null,
    });
  };
  const down = (key: string, label: string, max: number, value: number | null, steps: { below: number; points: number }[], show: (v: number) => string, advice: string) => {
    if (value === null) return components.push({ key, label, max, points: 0, figure: null, reason: NO_DATA, toRaise: advice });
    const { points, next } = stepDown(value, steps);
    components.push({
      key,
      label,
      max,
      points,
      figure: show(value),
      reason: `${show(value)} earns ${points} of ${max} points.`,
      toRaise: next ? `Get below ${show(next.below)} for ${next.points} points. ${advice}` : null,
    });
  };

  up('revenue_scale', 'Revenue scale', 15, m.monthly_revenue, REVENUE_STEPS, (v) => `${money(v, m.currency)} a month`, 'Lenders advance a multiple of monthly revenue.');
  up('revenue_growth', 'Revenue growth', 10, m.revenue_growth, GROWTH_STEPS, (v) => `${v >= 0 ? '+' : ''}${pct(v)}`, 'Compared with the same months a year earlier.');
  down(
    'revenue_stability',
    'Revenue stability',
    15,
    m.revenue_volatility,
    VOLATILITY_STEPS,
    (v) => `${pct(v, 0)} weekly variation`,
    'Steadier weeks (subscriptions, repeat customers) make repayments predictable.',
  );
  down('refund_rate', 'Refund rate', 10, m.refund_rate, REFUND_STEPS, (v) => pct(v), 'Clear product pages and sizing cut refunds.');
  down('chargeback_ratio', 'Chargeback ratio', 15, m.chargeback_ratio, CHARGEBACK_STEPS, (v) => pct(v, 2), 'Card networks start monitoring at 0.9 %–1 %.');
  up('payout_reliability', 'Payout reliability', 5, m.payout_reliability, PAYOUT_STEPS, (v) => pct(v, 0), 'Payouts that arrive on schedule show a healthy processor account.');
  up('gross_margin', 'Gross margin', 10, m.gross_margin, MARGIN_STEPS, (v) => pct(v, 0), 'Margin is what repays an advance.');
  up(
    'runway',
    'Runway',
    10,
    m.runway_months === null ? Number.POSITIVE_INFINITY : m.runway_months,
    RUNWAY_STEPS,
    (v) => (Number.isFinite(v) ? `${v.toFixed(1)} months` : 'not burning'),
    'More months of runway: a lower net burn or more cash.',
  );
  up('history', 'Months of history', 5, m.months_of_history, HISTORY_STEPS, (v) => `${Math.floor(v)} months`, 'Lenders want at least 12 months of records.');
  down('concentration', 'Revenue concentration', 5, m.top_customer_share, CONCENTRATION_STEPS, (v) => `${pct(v, 0)} from the largest customer`, 'Spread revenue over more customers.');

  const score = components.reduce((s, c) => s + c.points, 0);
  return { score, tier: tierFor(score), components };
}
