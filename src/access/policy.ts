import type { AccessRequest } from './request.js';
import type { Task } from './tasks.js';

/** How many approvers must approve: a default, raised for requests that would give certain tasks. */
export interface ApprovalCounts {
  default: number;
  byTask: Partial<Record<Task, number>>;
}

export const ONE_APPROVAL: ApprovalCounts = { default: 1, byTask: {} };

/** The approvals a request needs: the highest of the default and of each task it would give. */
export function approvalsNeeded(counts: ApprovalCounts, tasks: readonly Task[]): number {
  return Math.max(counts.default, ...tasks.map((task) => counts.byTask[task] ?? 0));
}

/**
 * Why someone may not decide a request: they asked for it; it is about them (the Slack person it names, or whoever
 * is linked to its Meta user); an earlier approval was already theirs (one human, one vote, by Slack id and by Meta
 * user); or they are not an approver of its account.
 */
export type RefusalReason = 'own-request' | 'beneficiary' | 'same-person' | 'not-approver';

export type DecideVerdict = { allowed: true } | { allowed: false; reason: RefusalReason };

/**
 * The members of a listed id when it names a group of people (undefined when it names one person). Which ids are
 * groups, and who is in them, is the chat platform's business: the Slack layer answers it.
 */
export type GroupMembers = (id: string) => Promise<string[] | undefined>;

/** People listed by id, directly or through groups whose members are asked of `groupMembers`. */
export class PeopleList {
  private readonly listed: Set<string>;

  constructor(
    private readonly ids: readonly string[],
    private readonly groupMembers: GroupMembers,
  ) {
    this.listed = new Set(ids);
  }

  async includes(personId: string): Promise<boolean> {
    if (this.listed.has(personId)) return true;
    for (const id of this.ids) {
      if ((await this.groupMembers(id))?.includes(personId)) return true;
    }
    return false;
  }

  /** Every individual listed, groups expanded. */
  async userIdsExpanded(): Promise<string[]> {
    const people = new Set<string>();
    for (const id of this.ids) {
      const members = await this.groupMembers(id);
      if (members) for (const member of members) people.add(member);
      else people.add(id);
    }
    return [...people];
  }
}

/** Who may decide on requests: configured approvers and members of configured groups, never the requester. */
export class ApproverPolicy {
  private readonly people: PeopleList;

  constructor(
    readonly approverIds: readonly string[],
    groupMembers: GroupMembers,
  ) {
    this.people = new PeopleList(approverIds, groupMembers);
  }

  isApprover(slackUserId: string): Promise<boolean> {
    return this.people.includes(slackUserId);
  }

  async canDecide(request: Pick<AccessRequest, 'requesterId'>, slackUserId: string): Promise<DecideVerdict> {
    // Checked first: an approver asking for access still needs someone else's approval.
    if (request.requesterId === slackUserId) return { allowed: false, reason: 'own-request' };
    return (await this.isApprover(slackUserId)) ? { allowed: true } : { allowed: false, reason: 'not-approver' };
  }

  /** Every individual approver, groups expanded: the people to DM when there is no approval channel. */
  approverUserIds(): Promise<string[]> {
    return this.people.userIdsExpanded();
  }
}
