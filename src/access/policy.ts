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

/** Members of a Slack user group, for approvers configured as groups (S…). */
export type GroupMembers = (groupId: string) => Promise<string[]>;

/**
 * Whether a configured id names a user group rather than a person. Slack's user-group ids start with `S`; this is
 * the one place the domain relies on that, until the policy marks groups itself.
 */
export function isUserGroupId(id: string): boolean {
  return id.startsWith('S');
}

/** Slack people listed by id or through user groups (S…), whose members are asked of Slack. */
export class PeopleList {
  private readonly userIds: Set<string>;
  private readonly groupIds: string[];

  constructor(
    ids: readonly string[],
    private readonly groupMembers: GroupMembers,
  ) {
    this.userIds = new Set(ids.filter((id) => !isUserGroupId(id)));
    this.groupIds = ids.filter(isUserGroupId);
  }

  async includes(slackUserId: string): Promise<boolean> {
    if (this.userIds.has(slackUserId)) return true;
    for (const group of this.groupIds) {
      if ((await this.groupMembers(group)).includes(slackUserId)) return true;
    }
    return false;
  }

  /** Every individual listed, groups expanded. */
  async userIdsExpanded(): Promise<string[]> {
    const ids = new Set(this.userIds);
    for (const group of this.groupIds) for (const member of await this.groupMembers(group)) ids.add(member);
    return [...ids];
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
