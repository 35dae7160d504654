import type { AccessRequest, Pending } from '../../access/request.js';
import { clip, code, type Mrkdwn, mention, mrkdwn, plain, slackDate } from '../format.js';
import { ACTION } from '../ids.js';
import { button, context, divider, header, message, section } from './kit.js';
import { approvalProgress, decideButtons, outcomeText, summary } from './request.js';
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

function listBlocks<T extends AccessRequest>(
  title: string,
  requests: T[],
  empty: Mrkdwn,
  render: (request: T) => Block[],
): Block[] {
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

/** The App Home tab: the same lists, then what happened lately to requests the person made or decided. */
export function homeView(view: PersonalRequests, recent: AccessRequest[]) {
  return {
    type: 'home' as const,
    blocks: [
      ...personalBlocks(view),
      divider(),
      header('Recent activity'),
      ...(recent.length === 0
        ? [context(mrkdwn`Nothing yet.`)]
        : recent.map((request) => section(mrkdwn`*${summary(request)}*\n${outcomeText(request)}`))),
    ],
  };
}
