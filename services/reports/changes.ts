/**
 * How a figure changed against its comparison period, said once for every page and
 * the API. A percent change says something only against a base of some size: from
 * nothing it is "new", across a sign change or from a base under a tenth of the
 * figure it is "—" (a +4,000 % is noise, not news), and no change is neutral, never
 * a red "+0 %". Ratios change in percentage points.
 */
export type Change = {
  /** Percent (points for a ratio), one decimal; null when a percentage would mislead. */
  pct: number | null;
  text: string;
  tone: 'good' | 'bad' | 'flat' | 'none';
};

/** A base smaller than this share of the figure is treated as near zero. */
export const NEAR_ZERO_SHARE = 0.1;

export function change(current: number | null, previous: number | null, opts: { unit: 'money' | 'ratio' | 'months' | 'number'; upIsGood: boolean }): Change {
  if (current === null || previous === null) return { pct: null, text: '—', tone: 'none' };
  const signed = (v: number, suffix: string): Change => {
    if (v === 0) return { pct: 0, text: 'no change', tone: 'flat' };
    return { pct: v, text: `${v > 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}${suffix}`, tone: v > 0 === opts.upIsGood ? 'good' : 'bad' };
  };
  if (opts.unit === 'ratio') return signed(Math.round((current - previous) * 1000) / 10, ' pts');
  if (current === previous) return signed(0, ' %');
  if (previous === 0) return { pct: null, text: current > 0 ? 'new' : '—', tone: 'none' };
  if (Math.sign(current) !== Math.sign(previous) && current !== 0) return { pct: null, text: '—', tone: 'none' };
  if (Math.abs(previous) < NEAR_ZERO_SHARE * Math.abs(current)) return { pct: null, text: previous > 0 ? 'new' : '—', tone: 'none' };
  return signed(Math.round(((current - previous) / Math.abs(previous)) * 1000) / 10, ' %');
}
