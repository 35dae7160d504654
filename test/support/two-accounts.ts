import type { FakeGraph } from '../../sandbox/fake-graph.js';
import { APPROVAL_CHANNEL, BUSINESS_ID, defaultGraph, WABA_ID } from './harness.js';

/** The WABA of the `sales` account, on the same business as the harness's `support` WABA. */
export const SALES_WABA = '1000000000002';

/** One account's settings in the policy file's own words (`approval_channel`, `reason_required`, …). */
export type AccountSettings = { approvers: string[] } & Record<string, unknown>;

/** A Graph fake (the default one unless given) that also has the sales WABA, with nobody on it. */
export function withSalesWaba(graph: FakeGraph = defaultGraph()): FakeGraph {
  return graph.addWaba({ id: SALES_WABA, name: 'Sales line', businessId: BUSINESS_ID });
}

/**
 * A policy file with two accounts: `support`, the default, on the harness's WABA and approving in its approval
 * channel unless it names another; and `sales` on SALES_WABA (left out, it is a one-account file, as after a
 * reload that drops it). Both are on the harness's business; everything else is the test's to say.
 */
export function twoAccountPolicy(policy: {
  admins: string[];
  support: AccountSettings;
  sales?: AccountSettings;
  /** Who is who: a Slack id or email, and the Meta user it is. */
  people?: Record<string, string>;
}): string {
  const lines = [
    'default_account: support',
    `admins: ${flow(policy.admins)}`,
    'accounts:',
    ...account('support', WABA_ID, { approval_channel: APPROVAL_CHANNEL, ...policy.support }),
    ...(policy.sales ? account('sales', SALES_WABA, policy.sales) : []),
  ];
  if (policy.people) {
    lines.push('people:', ...Object.entries(policy.people).map(([person, metaUser]) => `  ${person}: ${metaUser}`));
  }
  return `${lines.join('\n')}\n`;
}

function account(alias: string, wabaId: string, settings: Record<string, unknown>): string[] {
  const entries = Object.entries({ waba_id: wabaId, business_id: BUSINESS_ID, ...settings });
  return [`  ${alias}:`, ...entries.map(([key, value]) => `    ${key}: ${flow(value)}`)];
}

/** A value in YAML's flow style, as a person would write it: `[a, b]`, `{ users: [a] }`, `2`. */
function flow(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flow).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{ ${Object.entries(value)
      .map(([key, item]) => `${key}: ${flow(item)}`)
      .join(', ')} }`;
  }
  return String(value);
}
