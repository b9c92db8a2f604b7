/** Time as the app sees it; tests inject a fixed or movable clock instead of sleeping. */
export interface Clock {
  now(): Date;
  /** Waits (a retry's backoff); a test's clock moves forward instead and returns at once. */
  sleep?(ms: number): Promise<void>;
}

export const systemClock: Clock = { now: () => new Date(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/** A clock that stands still until moved, for tests of expiry and schedules. */
export function fixedClock(start: Date | string): Clock & { advance(ms: number): void; set(d: Date | string): void; slept: number[] } {
  let t = new Date(start).getTime();
  const slept: number[] = [];
  return {
    now: () => new Date(t),
    slept,
    async sleep(ms: number) {
      slept.push(ms);
      t += ms;
    },
    advance(ms: number) {
      t += ms;
    },
    set(d: Date | string) {
      t = new Date(d).getTime();
    },
  };
}

/** The calendar date (YYYY-MM-DD, UTC) of an instant. */
export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Adds whole days to a YYYY-MM-DD date. */
export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}
