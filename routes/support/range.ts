import { z } from 'zod';
import { day } from '../../services/core/dates.ts';
import { PRESETS, resolveRange, type Preset, type Range } from '../../services/reports/periods.ts';

const isoDay = day();

/**
 * The period of a report page: a preset, or `custom` with from/to. The range form
 * sends the select's preset and, from its "Apply range" button, `custom` after it:
 * the last one wins. Anything malformed falls back to the default rather than a 422,
 * since these come from links and bookmarks.
 */
export function rangeQuery(defaultPreset: Preset) {
  return z.object({
    preset: z
      .preprocess((v) => (Array.isArray(v) ? v[v.length - 1] : v), z.enum(PRESETS))
      .catch(defaultPreset)
      .default(defaultPreset),
    from: isoDay.optional().catch(undefined),
    to: isoDay.optional().catch(undefined),
  });
}

export function rangeOf(q: { preset: Preset; from?: string; to?: string }, today: string): { preset: Preset; range: Range } {
  return { preset: q.preset, range: resolveRange(q.preset, today, { from: q.from, to: q.to }) };
}
