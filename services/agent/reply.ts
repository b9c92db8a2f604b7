import type { Link, ToolResult } from './tools.ts';

/** One tool call made while answering, as stored with the reply and shown in the API. */
export type ToolCallRecord = { name: string; arguments: Record<string, unknown>; ms: number; error?: string };

/**
 * A change the answer suggests. The agent never writes: a `link` opens the page where
 * the user makes the change; a `rule` or `recategorise` is a button that previews the
 * change and asks the user to confirm it (routes/agent/suggested-changes.ts), where
 * it is made by the rules and expenses services under the user's own role.
 */
export type Suggestion =
  | { kind?: 'link'; label: string; href: string }
  | { kind: 'rule'; label: string; field: 'description' | 'counterparty' | 'any'; pattern: string; category_id: string; category: string }
  | { kind: 'recategorise'; label: string; transaction_ids: string[]; category_id: string; category: string };

export type AgentReply = {
  text: string;
  toolCalls: ToolCallRecord[];
  links: Link[];
  citations: string[];
  suggestions: Suggestion[];
  analyst: 'offline' | 'model';
};

/** Citations written in the text as [Source: doc_id], in order of first appearance. */
export function citationsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/\[Source:\s*([a-z0-9-]+)\]/gi)].map((m) => m[1]))];
}

export function uniqueLinks(links: Link[]): Link[] {
  const seen = new Set<string>();
  return links.filter((l) => !seen.has(l.href) && seen.add(l.href));
}

const FIELD_WORDS = { description: 'description', counterparty: 'vendor', any: 'description or vendor' } as const;

/** The label of a rule suggestion, as the button reads: Create rule: vendor contains 'AWS' → Software. */
export function ruleLabel(r: { field: keyof typeof FIELD_WORDS; pattern: string; category: string }): string {
  return `Create rule: ${FIELD_WORDS[r.field]} contains '${r.pattern}' → ${r.category}`;
}

type Proposal = { field: 'description' | 'counterparty' | 'any'; pattern: string; category_id: string; category: string };
type VendorRow = { vendor: string; uncategorised: number; expense_ids: string[]; proposal: Proposal | null };

/**
 * Changes the tool results point at, as suggestions the user confirms: for a vendor
 * whose other expenses are filed under one category, a rule and the recategorising of
 * its uncategorised expenses; for uncategorised rows in a search, the expense list
 * filtered to them. Built from tool results only, never from a model's text.
 */
export function suggestionsFrom(results: { tool: string; result: ToolResult }[]): Suggestion[] {
  const out: Suggestion[] = [];
  for (const { tool, result } of results) {
    if (tool === 'categorisation_suggestions') {
      for (const v of (result.data.vendors ?? []) as VendorRow[]) {
        if (!v.proposal) continue;
        const { field, pattern, category_id, category } = v.proposal;
        out.push({ kind: 'rule', label: ruleLabel({ field, pattern, category }), field, pattern, category_id, category });
        const n = v.expense_ids.length;
        out.push({ kind: 'recategorise', label: `Move ${n} uncategorised ${v.vendor} expense${n === 1 ? '' : 's'} to ${category}`, transaction_ids: v.expense_ids, category_id, category });
      }
    }
    if (tool !== 'expense_search') continue;
    const rows = (result.data.rows ?? []) as { category: string | null }[];
    const uncategorised = rows.filter((r) => !r.category).length;
    const href = result.links.find((l) => l.href.includes('/expenses'))?.href;
    if (uncategorised && href) out.push({ kind: 'link', label: `Categorise ${uncategorised} uncategorised expense${uncategorised === 1 ? '' : 's'}`, href });
  }
  return out;
}
