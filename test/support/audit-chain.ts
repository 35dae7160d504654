import { linesOf } from '../../src/audit/trail.js';
import { verifyTrail } from '../../src/audit/verify.js';
import type { Store } from '../../src/store/open-store.js';

/** The events of an account's audit chain, in order, after checking that every chain of the trail holds. */
export async function chainEvents(store: Store, wabaId: string): Promise<string[]> {
  const reports = await verifyTrail(store.auditTrail);
  const broken = reports.filter((report) => report.broken);
  if (broken.length > 0) throw new Error(`audit chain broken: ${JSON.stringify(broken)}`);
  const events: string[] = [];
  for await (const line of linesOf(store.auditTrail, wabaId))
    events.push((JSON.parse(line.text) as { event: string }).event);
  return events;
}
