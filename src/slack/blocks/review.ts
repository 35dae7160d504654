import type { UnknownAccount } from '../../access/accounts.js';
import { formatDuration } from '../../access/duration.js';
import type { ExecutionError } from '../../access/request.js';
import {
  decidedCount,
  REVIEW_PAGE_SIZE,
  type Review,
  type ReviewPage,
  type ReviewRefusal,
  type ReviewRow,
  type ReviewSummary,
  type RowRef,
} from '../../access/review.js';
import type { DecideRowResult, StartReviewResult } from '../../access/review-service.js';
import { USAGE } from '../commands.js';
import {
  channel,
  code,
  join,
  link,
  type Mrkdwn,
  mention,
  mrkdwn,
  packLines,
  plural,
  slackDate,
  taskList,
} from '../format.js';
import { ACTION, FIELD, VIEW } from '../ids.js';
import { LIMITS } from '../limits.js';
import { encodeRowRef } from '../review-state.js';
import { actions, blockId, button, context, header, message, modal, section } from './kit.js';
import { problemMessage, unknownAccountMessage } from './replies.js';
import type { Block, MessageBody, ModalView } from './types.js';

function people(count: number): string {
  return `${count} ${count === 1 ? 'person' : 'people'}`;
}

function who(slackId: string): Mrkdwn {
  return slackId === 'system' ? mrkdwn`the schedule` : mention(slackId);
}

/** How far a review has come: "42 of 60 reviewed". */
export function progressText(review: Review): Mrkdwn {
  const working = review.working.length > 0 ? mrkdwn` (${review.working.length} being carried out)` : mrkdwn``;
  const done =
    review.state === 'closed' && review.closedAt
      ? review.abandoned
        ? mrkdwn` · ended ${slackDate(review.closedAt)}: ${review.abandoned}`
        : mrkdwn` · finished ${slackDate(review.closedAt)}`
      : mrkdwn``;
  return mrkdwn`*${decidedCount(review)} of ${review.total} reviewed*${working}${done}`;
}

function personText(row: ReviewRow): Mrkdwn {
  const name = row.name ? mrkdwn`*${row.name}*` : mrkdwn`_Unnamed_`;
  return mrkdwn`${name} ${code(row.userId)} · ${row.userType ?? 'user'} · ${taskList(row.tasks)}`;
}

/** What became of a row, or why its last decision did not go through; undefined while it waits for one. */
export function rowStatus(row: ReviewRow): Mrkdwn | undefined {
  const decision = row.decision;
  if (!decision) {
    if (!row.failure) return undefined;
    const what = row.failure.choice === 'remove' ? 'Remove' : 'Make temporary';
    return mrkdwn`⚠️ ${what} by ${mention(row.failure.by)} ${slackDate(row.failure.at)} did not go through: ${failureWords(row.failure.error)} Decide again.`;
  }
  const by = mrkdwn`${mention(decision.by)} ${slackDate(decision.at)}`;
  switch (decision.kind) {
    case 'keep':
      return mrkdwn`✅ Kept — ${by}`;
    case 'remove':
      if (decision.status === 'removing') return mrkdwn`⏳ Removing… — ${by}`;
      if (decision.status === 'gone')
        return mrkdwn`➖ Remove — ${by}: they had no access any more, so nothing was sent to Meta`;
      return mrkdwn`🗑️ Removed from the account — ${by}`;
    case 'temporary':
      if (decision.status === 'applying')
        return mrkdwn`⏳ Making temporary until ${slackDate(decision.endsAt)}… — ${by}`;
      if (decision.status === 'gone')
        return mrkdwn`➖ Make temporary — ${by}: they had no access any more, so nothing was kept`;
      return mrkdwn`⏱️ Kept until ${slackDate(decision.endsAt)}, then removed — ${by}`;
  }
}

/** Why a change did not go through, in a sentence. */
function failureWords(error: ExecutionError): Mrkdwn {
  if (error.reason) return mrkdwn`${error.message}.`;
  const trace = error.fbtraceId ? mrkdwn` (fbtrace_id ${code(error.fbtraceId)})` : mrkdwn``;
  const when =
    error.category === 'throttled' && error.retryAt
      ? mrkdwn` Meta accepts calls again ${slackDate(error.retryAt)}.`
      : '';
  return mrkdwn`Meta said “${error.userMessage ?? error.message}”${trace}.${when}`;
}

const REMOVE_CONFIRM = {
  title: { type: 'plain_text' as const, text: 'Remove this person?' },
  text: {
    type: 'plain_text' as const,
    text: 'They lose every task on this account now. Nobody approves it again: your review decides.',
  },
  confirm: { type: 'plain_text' as const, text: 'Remove' },
  deny: { type: 'plain_text' as const, text: 'Cancel' },
};

/**
 * One message of a review: who is on the account and what they hold, a page of rows at a time, each with Keep,
 * Remove and Make temporary until decided, then who decided what and when; the progress; and the page buttons.
 * The same size whatever the roster's: a 10,000-person account is 1,000 pages, not one giant message.
 */
export function reviewMessage(review: Review, page: ReviewPage): MessageBody {
  const open = review.state === 'open';
  const first = page.page * REVIEW_PAGE_SIZE;
  const blocks: Block[] = [
    header(`Access review: ${review.accountAlias}`),
    context(
      mrkdwn`WABA ${code(review.wabaId)} · started by ${who(review.startedBy)} ${slackDate(review.startedAt)} · roster read from Meta ${slackDate(review.readAt)}`,
    ),
    section(progressText(review)),
  ];
  if (open) {
    blocks.push(
      context(
        mrkdwn`*Keep* confirms the access. *Remove* takes the person off the account with all their tasks. *Make temporary* keeps it until a time you choose, then removes it. Approvers review; nobody reviews their own access.`,
      ),
    );
  }
  page.rows.forEach((row, index) => {
    const status = rowStatus(row);
    blocks.push(section(status ? mrkdwn`${personText(row)}\n${status}` : personText(row)));
    if (open && !row.decision) {
      const value = encodeRowRef({ reviewId: review.id, page: page.page, index, userId: row.userId });
      blocks.push(
        actions(blockId('review-row', `${page.page}:${index}`), [
          button(ACTION.reviewKeep, 'Keep', value, { style: 'primary' }),
          button(ACTION.reviewRemove, 'Remove', value, { style: 'danger', confirm: REMOVE_CONFIRM }),
          button(ACTION.reviewTemporary, 'Make temporary', value),
        ]),
      );
    }
  });
  const last = first + page.rows.length;
  blocks.push(
    context(
      mrkdwn`People ${first + 1}–${last} of ${review.total} · page ${page.page + 1} of ${review.pages} · review ${code(review.id)}`,
    ),
  );
  if (review.pages > 1) {
    const goTo = (label: string, to: number) => button(ACTION.reviewPage, label, `${review.id}:${to}`);
    blocks.push(
      actions(blockId('review-pages', review.id), [
        ...(page.page > 0 ? [goTo('◀ Previous', page.page - 1)] : []),
        ...(page.page + 1 < review.pages ? [goTo('Next ▶', page.page + 1)] : []),
      ]),
    );
  }
  return message(
    mrkdwn`Access review of ${review.accountAlias}: ${decidedCount(review)} of ${review.total} reviewed`,
    blocks,
  );
}

/** How many names a summary lists under each heading before it says how many more. */
const SUMMARY_NAMES = 25;

function namesOf(rows: readonly ReviewRow[], line: (row: ReviewRow) => Mrkdwn): Mrkdwn[] {
  const lines = rows.slice(0, SUMMARY_NAMES).map(line);
  if (rows.length > SUMMARY_NAMES) lines.push(mrkdwn`…and ${rows.length - SUMMARY_NAMES} more`);
  return lines;
}

function shortName(row: ReviewRow): Mrkdwn {
  return row.name ? mrkdwn`*${row.name}* ${code(row.userId)}` : code(row.userId);
}

/** Posted once a review is finished: what it came to, and who removed or limited whom. */
export function reviewSummaryMessage(review: Review, summary: ReviewSummary): MessageBody {
  const reviewers = review.reviewers.length > 0 ? join(review.reviewers.map(mention), ', ') : mrkdwn`nobody`;
  const gone = summary.gone.length > 0 ? mrkdwn` ${summary.gone.length} more had no access any more.` : mrkdwn``;
  const lines: Mrkdwn[] = [
    mrkdwn`🏁 *The access review of ${review.accountAlias} is finished.* ${people(review.total)} reviewed by ${reviewers}, started ${slackDate(review.startedAt)}, finished ${slackDate(review.closedAt ?? review.updatedAt)}.`,
    mrkdwn`Kept: ${summary.kept} · removed: ${summary.removed.length} · made temporary: ${summary.temporary.length}.${gone}`,
  ];
  const by = (row: ReviewRow) => (row.decision ? mrkdwn` · ${mention(row.decision.by)}` : mrkdwn``);
  const removed = namesOf(summary.removed, (row) => mrkdwn`• ${shortName(row)} · had ${taskList(row.tasks)}${by(row)}`);
  const temporary = namesOf(summary.temporary, (row) => {
    const until = row.decision?.kind === 'temporary' ? mrkdwn` until ${slackDate(row.decision.endsAt)}` : mrkdwn``;
    return mrkdwn`• ${shortName(row)} · ${taskList(row.tasks)}${until}${by(row)}`;
  });
  const blocks: Block[] = [header(`Access review finished: ${review.accountAlias}`), section(join(lines, '\n'))];
  if (removed.length > 0) {
    blocks.push(section(mrkdwn`*Removed*`), ...packLines(removed).map((chunk) => section(chunk)));
  }
  if (temporary.length > 0) {
    blocks.push(
      section(mrkdwn`*Made temporary* (removed when the time comes; \`/waba active\` lists them)`),
      ...packLines(temporary).map((chunk) => section(chunk)),
    );
  }
  blocks.push(context(mrkdwn`Review ${code(review.id)} · every decision is in the audit log`));
  return message(
    mrkdwn`Access review of ${review.accountAlias} finished: kept ${summary.kept}, removed ${summary.removed.length}, made temporary ${summary.temporary.length}`,
    blocks.slice(0, LIMITS.messageBlocks),
  );
}

/** The one reminder each approver gets of a review still open; `permalink` opens the review message. */
export function reviewReminderMessage(review: Review, permalink: string | undefined): MessageBody {
  const where = permalink ? link(permalink, 'Open the review') : mrkdwn`It is in your direct messages with me.`;
  return message(mrkdwn`Reminder: the access review of ${review.accountAlias} is still open.`, [
    section(
      mrkdwn`⏰ *The access review of ${review.accountAlias} is still open:* ${progressText(review)}, started ${slackDate(review.startedAt)}. Each person’s access needs a Keep, Remove or Make temporary from an approver other than them.`,
    ),
    context(mrkdwn`${where} · review ${code(review.id)}`),
  ]);
}

/** The answer to `/waba review`; `permalink` opens the review message, when there is one to open. */
export function reviewStartReply(result: StartReviewResult, permalink?: string): MessageBody {
  switch (result.kind) {
    case 'started': {
      const { review } = result;
      const first = review.messages[0];
      const where =
        first && !first.channel.startsWith('D') ? mrkdwn`in ${channel(first.channel)}` : mrkdwn`to each approver by DM`;
      const text = mrkdwn`📋 Started the access review of *${review.accountAlias}*: ${people(review.total)} on ${plural(review.pages, 'page')} of up to ${REVIEW_PAGE_SIZE}. I posted it ${where}; the approvers decide each row there, and I’ll post a summary when every row is done.`;
      return message(text, [section(text), context(mrkdwn`Review ${code(review.id)}`)]);
    }
    case 'already-open': {
      const { review } = result;
      const open = permalink ? mrkdwn` ${link(permalink, 'Open it')}.` : mrkdwn``;
      const text = mrkdwn`A review of *${review.accountAlias}* is already open: started by ${who(review.startedBy)} ${slackDate(review.startedAt)}, ${progressText(review)}. One review runs per account at a time.${open}`;
      return message(text, [section(text), context(mrkdwn`Review ${code(review.id)}`)]);
    }
    case 'forbidden':
      return problemMessage(
        mrkdwn`Only the account’s approvers and admins can start an access review; nothing was started.`,
        mrkdwn`Ask one of them: ${join(result.who.slice(0, 10).map(mention), ', ')}.`,
      );
    case 'empty':
      return problemMessage(
        mrkdwn`Nobody is on *${result.account}*, so there is nothing to review.`,
        mrkdwn`${code(USAGE.list)} shows who is on an account.`,
      );
    case 'busy':
      return problemMessage(
        mrkdwn`A review of this account is being started right now.`,
        mrkdwn`Try ${code(USAGE.review)} again in a moment: it will point to that review.`,
      );
    case 'not-posted':
      return problemMessage(
        mrkdwn`I couldn’t post the review where the account’s approvers decide, so it was not started.`,
        mrkdwn`Check that the bot is in the approval channel (or can DM the approvers), then try again.`,
      );
    case 'unknown-account':
      return unknownAccountMessage(result as UnknownAccount);
  }
}

/** The private answer to a click on a review row that changed nothing; undefined when the message shows the change. */
export function reviewClickReply(result: DecideRowResult | ReviewRefusal): Mrkdwn | undefined {
  switch (result.kind) {
    case 'decided':
      return undefined;
    case 'not-found':
      return mrkdwn`I can’t find this review any more; nothing changed. ${code(USAGE.review)} starts a new one.`;
    case 'closed':
      return mrkdwn`This review is finished; nothing changed. ${code(USAGE.review)} starts a new one.`;
    case 'already':
      return mrkdwn`This person was reviewed already; nothing changed.\n${personText(result.row)}\n${rowStatus(result.row) ?? ''}`;
    case 'stale':
      return mrkdwn`This button no longer matches the review; nothing changed. The review message shows the rows as they are now.`;
    case 'forbidden':
      return result.reason === 'own-row'
        ? mrkdwn`This row is your own access (the Meta user linked to you), so another approver has to review it; nothing changed.`
        : mrkdwn`Only the account’s approvers review access; nothing changed. The approvers are ${join(result.approverIds.map(mention), ', ')}.`;
    case 'unconfigured':
      return mrkdwn`This review is of WhatsApp Business Account ${code(result.review.wabaId)}, which is no longer in the bot’s policy; nothing changed.`;
    case 'too-long':
      return mrkdwn`${formatDuration(result.askedMs)} is longer than the longest access this account allows (${formatDuration(result.maxMs)}); nothing changed. Click *Make temporary* again and give ${formatDuration(result.maxMs)} or less.`;
    case 'too-short':
      return mrkdwn`${formatDuration(result.askedMs)} is shorter than the shortest access this account allows (${formatDuration(result.minMs)}); nothing changed. Click *Make temporary* again and give ${formatDuration(result.minMs)} or more.`;
    case 'busy':
      return mrkdwn`Another approver is deciding on this review right now; nothing changed. Click again in a moment.`;
  }
}

/**
 * Make temporary: until when the person keeps what they hold, then they are removed. Without `row` (the form opens
 * before the review is read) the person and the limits are left out; updating the form keeps what was typed.
 */
export function temporaryModal(ref: RowRef, known?: { row: ReviewRow; minMs: number; maxMs: number }): ModalView {
  const about = known
    ? mrkdwn`${personText(known.row)}\nThey keep what they hold now until the time you choose; then they are removed from the account. Between ${formatDuration(known.minMs)} and ${formatDuration(known.maxMs)} from now.`
    : mrkdwn`They keep what they hold now until the time you choose; then they are removed from the account.`;
  return modal({
    callbackId: VIEW.reviewTemporary,
    privateMetadata: encodeRowRef(ref).slice(0, LIMITS.privateMetadata),
    title: 'Make temporary',
    submit: 'Make temporary',
    close: 'Cancel',
    blocks: [
      section(about),
      {
        type: 'input',
        block_id: FIELD.until,
        label: { type: 'plain_text', text: 'Keep until' },
        hint: {
          type: 'plain_text',
          text: 'A duration (30d, 2w, 12h) or a date (2026-06-30: until the end of that day, UTC).',
        },
        element: {
          type: 'plain_text_input',
          action_id: FIELD.until,
          placeholder: { type: 'plain_text', text: '30d' },
        },
      },
    ],
  });
}
