/**
 * What-if scenarios as changes to the forecast's daily cash flow: pure functions.
 *
 * The business is reduced to a few drivers measured over the last 90 days (then aligned
 * with the forecast's model, see alignDrivers): net
 * revenue per day R, the share of it that goes to variable costs v (COGS and fees),
 * ad spend per day A with its return (ROAS), and fixed operating expenses per day F.
 * - revenue growth g (per year): volume grows as (1+g)^(t/365); variable costs follow volume
 * - price change p: revenue × (1+p) at the same volume and costs
 * - ad spend change a: A×a more spend, bringing A×a×ROAS of revenue with its variable costs
 * - a hire: its monthly cost spread over the days from its start
 * - a loan: the amount in on its day, a repayment out each month after for its term
 */
import { addDays } from '../../core/clock.ts';

export type ScenarioInput = {
  revenue_growth: number;
  ad_spend_change: number;
  price_change: number;
  hire_monthly_cost: number;
  hire_from: string | null;
  loan_amount: number;
  loan_on: string | null;
  loan_monthly_repayment: number;
  loan_months: number;
};

export type Drivers = { revenuePerDay: number; variableCostRatio: number; adSpendPerDay: number; roas: number; fixedCostsPerDay: number };

const DAYS_PER_MONTH = 365.25 / 12;

/**
 * The drivers made to tell the forecast's story: the forecast's model expects `netPerDay`
 * of operating cash a day over the horizon (its trend, seasons and recurring bills), so
 * the baseline P&L must net to that, not to the last 90 days run on for a year (90 days
 * that hold a Black Friday would promise one every quarter). The cost ratios, ad spend
 * and fixed costs stay as measured; revenue is what makes the difference. Where revenue
 * cannot (none, or costs eat nearly all of it), fixed costs take it.
 */
export function alignDrivers(d: Drivers, netPerDay: number): Drivers {
  const margin = 1 - d.variableCostRatio;
  if (d.revenuePerDay > 0 && margin > 0.05) {
    const revenuePerDay = (netPerDay + d.adSpendPerDay + d.fixedCostsPerDay) / margin;
    if (revenuePerDay >= 0) return { ...d, revenuePerDay };
  }
  return { ...d, fixedCostsPerDay: d.revenuePerDay * margin - d.adSpendPerDay - netPerDay };
}

/** Extra cash flow per future day (index 0 = the day after `asOf`) that the scenario adds to the baseline. */
export function scenarioFlow(d: Drivers, s: ScenarioInput, asOf: string, horizon: number): Float64Array {
  const extra = new Float64Array(horizon);
  const adExtra = d.adSpendPerDay * s.ad_spend_change;
  let date = asOf;
  const loanDay = s.loan_on;
  for (let h = 0; h < horizon; h++) {
    date = addDays(date, 1);
    const volume = (1 + s.revenue_growth) ** ((h + 1) / 365);
    const revenue = d.revenuePerDay * volume * (1 + s.price_change) + adExtra * d.roas;
    const variable = d.variableCostRatio * (d.revenuePerDay * volume + adExtra * d.roas);
    const baseline = d.revenuePerDay * (1 - d.variableCostRatio);
    extra[h] = revenue - variable - baseline - adExtra;
    if (s.hire_from && date >= s.hire_from) extra[h] -= s.hire_monthly_cost / DAYS_PER_MONTH;
    if (loanDay && date === loanDay) extra[h] += s.loan_amount;
    if (loanDay && s.loan_months > 0 && date > loanDay && date.slice(8, 10) === loanDay.slice(8, 10)) {
      const months = (Number(date.slice(0, 4)) - Number(loanDay.slice(0, 4))) * 12 + Number(date.slice(5, 7)) - Number(loanDay.slice(5, 7));
      if (months >= 1 && months <= s.loan_months) extra[h] -= s.loan_monthly_repayment;
    }
  }
  return extra;
}

export type ProjectedPnl = { revenue: number; variableCosts: number; adSpend: number; fixedCosts: number; hire: number; net: number };

/** The P&L of the next `horizon` days under the drivers, with or without the scenario (financing is cash, not profit). */
export function projectPnl(d: Drivers, s: ScenarioInput | null, asOf: string, horizon: number): ProjectedPnl {
  let revenue = 0;
  let variable = 0;
  let hire = 0;
  let date = asOf;
  const adExtra = s ? d.adSpendPerDay * s.ad_spend_change : 0;
  for (let h = 0; h < horizon; h++) {
    date = addDays(date, 1);
    const volume = s ? (1 + s.revenue_growth) ** ((h + 1) / 365) : 1;
    revenue += d.revenuePerDay * volume * (1 + (s?.price_change ?? 0)) + adExtra * d.roas;
    variable += d.variableCostRatio * (d.revenuePerDay * volume + adExtra * d.roas);
    if (s?.hire_from && date >= s.hire_from) hire += s.hire_monthly_cost / DAYS_PER_MONTH;
  }
  const adSpend = (d.adSpendPerDay + adExtra) * horizon;
  const fixedCosts = d.fixedCostsPerDay * horizon;
  const r = (x: number) => Math.round(x) || 0;
  const out = (x: number) => (x === 0 ? 0 : -r(x));
  return { revenue: r(revenue), variableCosts: out(variable), adSpend: out(adSpend), fixedCosts: out(fixedCosts), hire: out(hire), net: r(revenue - variable - adSpend - fixedCosts - hire) };
}
