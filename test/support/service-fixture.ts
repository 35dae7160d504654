import { FakeGraph } from '../../sandbox/fake-graph.js';
import { type AccountPolicy, Accounts, accountPolicy, singleAccountPolicy } from '../../src/access/accounts.js';
import type { TemporaryGrant } from '../../src/access/grants.js';
import type { GroupMembers } from '../../src/access/policy.js';
import type { RequestNotifier } from '../../src/access/ports.js';
import type { AccessRequest, MessageRef, Pending } from '../../src/access/request.js';
import type { WriteJournal } from '../../src/access/write-journal.js';
import type { GraphClient } from '../../src/graph/client.js';

/** The cast of the service-level tests. */
export const WABA = '1000000000001';
export const BUSINESS = '2000000000001';
/** On the WABA with MANAGE. */
export const ALICE = '300000000000001';
/** Known to Meta, not on the WABA. */
export const DAVE = '300000000000002';

/** The one account of the service-level tests (WABA, approvers Ann and Bob), with any setting changed. */
export function oneAccount(
  graph: GraphClient,
  settings: Partial<AccountPolicy> = {},
  options: {
    rosterCacheMs?: number;
    now?: () => number;
    groupMembers?: GroupMembers;
    writeJournal?: WriteJournal;
  } = {},
): Accounts {
  const account = accountPolicy({ wabaId: WABA, businessId: BUSINESS, approverIds: ['UANN', 'UBOB'], ...settings });
  return new Accounts(singleAccountPolicy(account), { graph, groupMembers: async () => undefined, ...options });
}

/** A fake Graph with one WABA, Alice on it with MANAGE, and Dave not on it. */
export function smallGraph(): FakeGraph {
  return new FakeGraph({ accessToken: 't' })
    .addWaba({ id: WABA, name: 'Support', businessId: BUSINESS })
    .addUser({ id: ALICE, name: 'Alice', user_type: 'BUSINESS_USER' })
    .addUser({ id: DAVE, name: 'Dave', user_type: 'BUSINESS_USER' })
    .assign(WABA, ALICE, ['MANAGE']);
}

/** A notifier whose messages go nowhere, for tests of what reaches Graph rather than Slack. */
export const quietNotifier: RequestNotifier = {
  announce: async (): Promise<MessageRef[]> => [{ channel: 'C', ts: '1.0' }],
  changed: async () => undefined,
  grantChanged: async () => [],
  remind: async () => undefined,
  grantEndingSoon: async () => undefined,
  announceEmergency: async (): Promise<MessageRef[]> => [{ channel: 'C', ts: '2.0' }],
  emergencyReviewed: async () => undefined,
  remindReview: async () => undefined,
};

/** Records what the service asks Slack to show; approval messages are numbered 1.0, 2.0, … */
export class RecordingNotifier implements RequestNotifier {
  announced: Pending[] = [];
  changes: AccessRequest[] = [];
  grantChanges: TemporaryGrant[] = [];
  failAnnounce = false;

  async announce(request: Pending): Promise<MessageRef[]> {
    if (this.failAnnounce) throw new Error('channel_not_found');
    this.announced.push(request);
    return [{ channel: 'CAPPROVALS', ts: `${this.announced.length}.0` }];
  }

  async changed(request: AccessRequest): Promise<void> {
    this.changes.push(request);
  }

  reminders: Array<{ request: Pending; approverIds: string[] }> = [];

  async remind(request: Pending, approverIds: string[]): Promise<void> {
    this.reminders.push({ request, approverIds });
  }

  async grantChanged(grant: TemporaryGrant): Promise<MessageRef[]> {
    this.grantChanges.push(grant);
    return grant.state === 'conflict' ? [{ channel: 'CAPPROVALS', ts: 'conflict.0' }] : [];
  }

  headsUps: Array<{ grant: TemporaryGrant; people: readonly string[] }> = [];

  async grantEndingSoon(grant: TemporaryGrant, _request: AccessRequest, people: readonly string[]): Promise<void> {
    this.headsUps.push({ grant, people });
  }

  emergencies: AccessRequest[] = [];
  reviews: AccessRequest[] = [];
  reviewReminders: Array<{ request: AccessRequest; approverIds: readonly string[] }> = [];

  async announceEmergency(request: AccessRequest): Promise<MessageRef[]> {
    this.emergencies.push(request);
    return [{ channel: 'CAPPROVALS', ts: `emergency${this.emergencies.length}.0` }];
  }

  async emergencyReviewed(request: AccessRequest): Promise<void> {
    this.reviews.push(request);
  }

  async remindReview(request: AccessRequest, approverIds: readonly string[]): Promise<void> {
    this.reviewReminders.push({ request, approverIds });
  }
}
