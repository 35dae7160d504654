import type { Account } from '../accounts.js';
import type { Identities } from '../ports.js';
import { type AccessRequest, approvalsOf, type Pending, setAsideApprovals } from '../request.js';

/** Why someone stands to gain: they asked, or it is about them. */
export type InterestKind = 'own-request' | 'beneficiary';

/** What a request or grant says about who benefits from it. */
export interface Beneficiary {
  requesterId?: string;
  targetSlackId?: string;
  targetUserId: string;
}

/**
 * Separation of duties: who stands to gain from a request or grant, and so may not decide it. Asked of the
 * directory at the moment of the decision, so a link made after a request was filed counts too.
 */
export class Interest {
  constructor(private readonly identities?: Identities) {}

  /**
   * Why `actorId` stands to gain, if they do: they asked for it, or it is about them — the Slack person it names,
   * or whoever is linked to its Meta user.
   */
  of(about: Beneficiary, actorId: string): Promise<InterestKind | undefined> {
    return this.ofActor(actorId)(about);
  }

  /**
   * `of` for one actor across many requests (a list drawn for them): the directory is asked at most once, and only
   * when a request is neither theirs nor names them.
   */
  ofActor(actorId: string): (about: Beneficiary) => Promise<InterestKind | undefined> {
    let metaId: Promise<string | undefined> | undefined;
    return async (about) => {
      if (about.requesterId === actorId) return 'own-request';
      if (about.targetSlackId === actorId) return 'beneficiary';
      metaId ??= this.metaIdOf(actorId);
      return (await metaId) === about.targetUserId ? 'beneficiary' : undefined;
    };
  }

  /** The Meta user a Slack person is linked to; the bot itself is nobody. */
  async metaIdOf(slackId: string): Promise<string | undefined> {
    return slackId === 'system' ? undefined : this.identities?.metaIdOf(slackId);
  }

  /** The account's approvers who may decide this request: neither its requester nor the person it is for. */
  async possibleApprovers(request: AccessRequest, account: Account): Promise<string[]> {
    const possible: string[] = [];
    for (const approver of await account.approvers.approverUserIds()) {
      if (!(await this.of(request, approver))) possible.push(approver);
    }
    return possible;
  }

  /** Those whose earlier approval of `request` is a vote for themselves (a link made after they approved). */
  async interestedVoters(request: Pending): Promise<Set<string>> {
    const interested = new Set<string>();
    for (const approval of approvalsOf(request)) {
      if (await this.of(request, approval.by)) interested.add(approval.by);
    }
    return interested;
  }

  /** Whether an earlier approval came from the same human: the same Meta user behind another Slack id. */
  async approvedAlreadyAs(request: AccessRequest, metaUserId: string | undefined): Promise<boolean> {
    if (!metaUserId) return false;
    for (const approval of approvalsOf(request)) {
      if ((approval.asMetaUser ?? (await this.metaIdOf(approval.by))) === metaUserId) return true;
    }
    return false;
  }
}

/** The request without approvals from `interested`. */
export function withoutVotesOf(request: Pending, interested: ReadonlySet<string>, now: Date): Pending {
  return interested.size === 0 ? request : setAsideApprovals(request, interested, now);
}
