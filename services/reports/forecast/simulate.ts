/**
 * The Monte Carlo cash forecast: pure functions, no I/O. Days are indexed from the
 * day after the last known day (index 0 = tomorrow).
 */

export { mulberry32 } from '../../core/random.ts';

/** Rearranges buf[lo..hi] so buf[k] holds the value it would have if sorted (Hoare quickselect). */
function select(buf: Float64Array, lo: number, hi: number, k: number): number {
  while (hi > lo) {
    const pivot = buf[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (buf[i] < pivot) i++;
      while (buf[j] > pivot) j--;
      if (i <= j) {
        const t = buf[i];
        buf[i] = buf[j];
        buf[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return buf[k];
}

export type SimulationInput = {
  startCash: number;
  /** Expected net cash flow of each future day (trend, seasonality and recurring items included). */
  mean: Float64Array;
  /** Standard deviation of a day's flow around its mean. */
  sigma: number;
  /**
   * Standard deviation of a shift of every day's mean, drawn once per path: how far the
   * fitted level may be from the true one (see levelUncertainty in model.ts). 0 or absent: none.
   */
  levelSigma?: number;
  paths: number;
  seed: number;
};

export type SimulationResult = {
  p10: Float64Array;
  p50: Float64Array;
  p90: Float64Array;
  /** Share of paths whose cash drops below zero on some day of the horizon. */
  pBelowZero: number;
  /** Days until cash first drops below zero at the 10th, 50th and 90th percentile; null = not within the horizon. */
  runwayDays: { p10: number | null; p50: number | null; p90: number | null };
};

/**
 * The standard normal quantile function (Acklam's rational approximation, relative
 * error below 1.2e-9), used once to build the lookup table below.
 */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// Normal draws come from a table of 2^16 equally likely quantiles (one uniform and
// one lookup per draw, instead of a log, a root and a sine): the tails stop at
// ±4.3 σ, which changes a percentile of cash by far less than the noise of 10,000 paths.
const TABLE_BITS = 16;
const NORMAL_TABLE = (() => {
  const n = 1 << TABLE_BITS;
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = normalQuantile((i + 0.5) / n);
  return t;
})();

/**
 * Runs `paths` random walks of cash over the horizon. Everything is preallocated:
 * one Float64Array of cash per path, one reused buffer for the per-day percentiles
 * (quickselect, not a sort) and one Int32Array for the first day below zero. The
 * generator (mulberry32) is inlined in the hot loop.
 */
export function simulate({ startCash, mean, sigma, levelSigma = 0, paths, seed }: SimulationInput): SimulationResult {
  const horizon = mean.length;
  const cash = new Float64Array(paths).fill(startCash);
  const buf = new Float64Array(paths);
  const firstBelow = new Int32Array(paths).fill(-1);
  const p10 = new Float64Array(horizon);
  const p50 = new Float64Array(horizon);
  const p90 = new Float64Array(horizon);
  const table = NORMAL_TABLE;
  const tableShift = 32 - TABLE_BITS;
  const k10 = Math.floor(0.1 * (paths - 1));
  const k50 = Math.floor(0.5 * (paths - 1));
  const k90 = Math.floor(0.9 * (paths - 1));
  let a = seed >>> 0;
  const shift = new Float64Array(paths);
  if (levelSigma > 0) {
    for (let p = 0; p < paths; p++) {
      a = (a + 0x6d2b79f5) | 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      shift[p] = levelSigma * table[(t ^ (t >>> 14)) >>> tableShift];
    }
  }
  for (let d = 0; d < horizon; d++) {
    const mu = mean[d];
    for (let p = 0; p < paths; p++) {
      // mulberry32 (services/core/random.ts) inlined: a call per draw costs too much here.
      a = (a + 0x6d2b79f5) | 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const c = cash[p] + mu + shift[p] + sigma * table[(t ^ (t >>> 14)) >>> tableShift];
      cash[p] = c;
      if (c < 0 && firstBelow[p] < 0) firstBelow[p] = d;
    }
    buf.set(cash);
    p50[d] = select(buf, 0, paths - 1, k50);
    p10[d] = select(buf, 0, k50, k10);
    p90[d] = select(buf, k50, paths - 1, k90);
  }
  let below = 0;
  for (let p = 0; p < paths; p++) {
    if (firstBelow[p] >= 0) {
      buf[p] = firstBelow[p] + 1;
      below++;
    } else buf[p] = Infinity;
  }
  const at = (k: number) => {
    const v = select(buf, 0, paths - 1, k);
    return Number.isFinite(v) ? v : null;
  };
  return { p10, p50, p90, pBelowZero: below / paths, runwayDays: { p10: at(k10), p50: at(k50), p90: at(k90) } };
}
