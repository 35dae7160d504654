import type { TemporaryGrant } from '../../access/grants.js';
import type { AccessRequest, Pending } from '../../access/request.js';
import { clip, code, type Mrkdwn, mention, mrkdwn, plain, slackDate, taskList } from '../format.js';
import { ACTION } from '../ids.js';
import { endedEmpty } from '../request-again.js';
import { doneElement } from './grant-notices.js';
import { button, context, divider, header, message, section } from './kit.js';
import { approvalProgress, decideButtons, outcomeText, requestAgainElement, summary } from './request.js';
import type { Block, MessageBody } from './types.js';

/** `/waba requests` and the App Home tab: what a person is waiting for, and what waits for them. */

export interface PersonalRequests {
  mine: AccessRequest[];
  toDecide: Pending[];
}

/** Shown per list; the rest are counted. Keeps a message under Slack's 50 blocks and a Home view under 100. */
const SHOWN = 10;

/** How much of a reason the list shows; the approval message has all of it. */
const REASON_CHARS = 200;

const STATE_LABEL: Record<AccessRequest['state'], string> = {
  pending: 'waiting for approval',
  approved: 'approved, being applied',
  executing: 'approved, being applied',
  succeeded: 'done',
  failed: 'failed',
  denied: 'denied',
  expired: 'expired',
  canceled: 'canceled',
};

function line(request: AccessRequest): Mrkdwn {
  const progress = request.state === 'pending' ? approvalProgress(request) : undefined;
  const account = request.accountAlias ? mrkdwn` · on *${request.accountAlias}*` : '';
  return mrkdwn`*${summary(request)}* — ${STATE_LABEL[request.state]}${progress ? mrkdwn` (${progress})` : ''}\nAsked ${slackDate(request.createdAt)}${account} · Request ${code(request.id)}`;
}

function mineBlocks(request: AccessRequest): Block[] {
  const cancel = request.state === 'pending' ? button(ACTION.cancel, 'Cancel', request.id) : undefined;
  return [section(line(request), cancel)];
}

function toDecideBlocks(request: Pending): Block[] {
  const reason = request.reason ? mrkdwn` · _${clip(plain(request.reason), REASON_CHARS)}_` : '';
  return [section(mrkdwn`${line(request)}\nFrom ${mention(request.requesterId)}${reason}`), decideButtons(request.id)];
}

function listBlocks<T>(title: string, requests: T[], empty: Mrkdwn, render: (request: T) => Block[]): Block[] {
  if (requests.length === 0) return [header(title), context(empty)];
  const more = requests.length - SHOWN;
  return [
    header(title),
    ...requests.slice(0, SHOWN).flatMap(render),
    ...(more > 0 ? [context(mrkdwn`…and ${more} more.`)] : []),
  ];
}

function personalBlocks(view: PersonalRequests): Block[] {
  return [
    ...listBlocks('Waiting for your decision', view.toDecide, mrkdwn`Nothing is waiting for you.`, toDecideBlocks),
    ...listBlocks(
      'Your open requests',
      view.mine,
      mrkdwn`You have no open requests. Ask with \`/waba grant …\`.`,
      mineBlocks,
    ),
  ];
}

export function requestsMessage(view: PersonalRequests): MessageBody {
  return message(
    mrkdwn`${view.toDecide.length} request(s) waiting for your decision; ${view.mine.length} open request(s) of yours.`,
    personalBlocks(view),
  );
}

/** One temporary grant a person asked for or holds, with I'm done. */
function grantBlocks(grant: TemporaryGrant): Block[] {
  const who = grant.targetName ? mrkdwn`*${grant.targetName}* ${code(grant.userId)}` : code(grant.userId);
  return [
    section(
      mrkdwn`${taskList(grant.tasks)} for ${grant.targetSlackId ? mention(grant.targetSlackId) : who} · ends ${slackDate(grant.endsAt)}\nAsked by ${mention(grant.requesterId)} · Request ${code(grant.requestId)}`,
      doneElement(grant.id),
    ),
  ];
}

/** A finished request, with Request again when it ended without giving anything. */
function recentBlock(request: AccessRequest): Block {
  const again = endedEmpty(request) ? requestAgainElement(request) : undefined;
  return section(mrkdwn`*${summary(request)}*\n${outcomeText(request)}`, again);
}

/**
 * The App Home tab: the same lists, the temporary access the person asked for or holds (to give back when done),
 * then what happened lately to requests the person made or decided.
 */
export function homeView(view: PersonalRequests, recent: AccessRequest[], grants: TemporaryGrant[] = []) {
  return {
    type: 'home' as const,
    blocks: [
      ...personalBlocks(view),
      ...(grants.length > 0 ? listBlocks('Your temporary access', grants, mrkdwn``, grantBlocks) : []),
      divider(),
      header('Recent activity'),
      ...(recent.length === 0 ? [context(mrkdwn`Nothing yet.`)] : recent.map(recentBlock)),
    ],
  };
}
