import { actionsFor, addedTasks, type DriftDigest, type DriftRow, removedTasks } from '../../access/drift.js';
import type { DriftActionResult, PersonHistory, RowRef, WhoResult } from '../../access/drift-service.js';
import { formatDuration } from '../../access/duration.js';
import { addDays, type ShownEvent } from '../../access/history.js';
import {
  code,
  join,
  type Mrkdwn,
  mention,
  mrkdwn,
  packLines,
  plain,
  plural,
  slackDate,
  slackDay,
  taskList,
} from '../format.js';
import { ACTION, VIEW } from '../ids.js';
import { LIMITS } from '../limits.js';
import { actions, blockId, button, context, header, message, modal, section } from './kit.js';
import { durationInput } from './modals.js';
import { problemMessage } from './replies.js';
import type { Block, MessageBody, ModalView } from './types.js';

/**
 * A digest takes 2 blocks a row (the change, then its buttons or outcome) and 4 around them: 20 rows keep a page
 * within the 50 blocks of a message.
 */
export const DIGEST_ROWS_PER_PAGE = 20;

function people(count: number): string {
  return `${count} ${count === 1 ? 'person' : 'people'}`;
}

/** A button's value for a row, and the row it names. */
export function rowValue(ref: RowRef): string {
  return `${ref.digestId}:${ref.index}`;
}

export function parseRowValue(value: string | undefined): RowRef | undefined {
  const match = /^([a-z0-9-]{1,80}):(\d{1,6})$/.exec(value ?? '');
  return match ? { digestId: match[1]!, index: Number(match[2]) } : undefined;
}

/** Who a row is about: their Slack person when linked, Meta name and id. */
function personLabel(row: Pick<DriftRow, 'userId' | 'name' | 'slackId'>): Mrkdwn {
  const meta = row.name ? mrkdwn`*${row.name}* (${code(row.userId)})` : code(row.userId);
  return row.slackId ? mrkdwn`${mention(row.slackId)} · ${meta}` : meta;
}

/** What changed, in one paragraph. */
export function changeText(row: DriftRow): Mrkdwn {
  const who = personLabel(row);
  switch (row.kind) {
    case 'added':
      return mrkdwn`➕ ${who} was *added* outside the bot, with ${taskList(row.found)}.`;
    case 'removed':
      return mrkdwn`➖ ${who} was *removed* outside the bot; the bot expected ${taskList(row.expected)}.`;
    case 'grant-ended': {
      const grants = join(row.grantIds.map(code), ', ');
      return mrkdwn`⌛ ${who}’s *temporary access* (request ${grants}) was ended outside the bot: ${taskList(row.expected)} → ${taskList(row.found)}.`;
    }
    case 'changed': {
      const added = addedTasks(row);
      const removed = removedTasks(row);
      const parts = [
        ...(added.length ? [mrkdwn`added ${taskList(added)}`] : []),
        ...(removed.length ? [mrkdwn`removed ${taskList(removed)}`] : []),
      ];
      return mrkdwn`✏️ ${who}’s *tasks changed* outside the bot: ${taskList(row.expected)} → ${taskList(row.found)} (${join(parts, '; ')}).`;
    }
  }
}

/** What has been done about a row, with who did it and when. */
export function rowOutcome(row: DriftRow): Mrkdwn | undefined {
  const by = row.by ? mention(row.by) : mrkdwn`someone`;
  const when = row.at ? slackDate(row.at) : mrkdwn``;
  switch (row.status) {
    case 'open':
      return row.error
        ? mrkdwn`⚠️ The last try (${by} ${when}) failed: ${row.error}. Nothing changed; try again.`
        : undefined;
    case 'acting':
      return mrkdwn`⏳ ${by} is acting on this (${when})…`;
    case 'accepted':
      return mrkdwn`✅ Accepted by ${by} ${when}: ${taskList(row.found)} is what the bot expects now.`;
    case 'reverted':
      return row.alreadyDone
        ? mrkdwn`↩️ Revert by ${by} ${when}: the access was already back to ${taskList(row.expected)}, so nothing was sent.`
        : mrkdwn`↩️ Reverted by ${by} ${when}: back to ${taskList(row.expected)}.`;
    case 'temporary':
      return mrkdwn`⏱️ Made temporary by ${by} ${when}: keeps ${taskList(addedTasks(row))} until ${row.until ? slackDate(row.until) : mrkdwn`its end`}, then goes back to ${taskList(row.expected)}${row.grantId ? mrkdwn` (grant ${code(row.grantId)})` : mrkdwn``}.`;
    case 'superseded':
      return mrkdwn`🔄 Changed again before anyone acted (${by} found ${taskList(row.now ?? null)} ${when}); a later report shows it. Nothing was sent.`;
  }
}

function rowButtons(ref: RowRef, row: DriftRow): Block | undefined {
  // A row being acted on keeps its buttons: a click meanwhile is told who is acting, and one after a process died
  // mid-action (its claim lapses) acts.
  const allowed = actionsFor(row);
  if (allowed.length === 0) return undefined;
  const value = rowValue(ref);
  const revertTo = row.expected === null ? 'Remove them from the account?' : 'Put back what the bot expected?';
  return actions(blockId('drift-row', value), [
    button(ACTION.driftAccept, 'Accept', value, { style: 'primary' }),
    button(ACTION.driftRevert, 'Revert', value, {
      style: 'danger',
      confirm: {
        title: { type: 'plain_text', text: 'Revert this change?' },
        text: { type: 'plain_text', text: revertTo },
        confirm: { type: 'plain_text', text: 'Revert' },
        deny: { type: 'plain_text', text: 'Cancel' },
      },
    }),
    ...(allowed.includes('temporary') ? [button(ACTION.driftTemporary, 'Make temporary', value)] : []),
  ]);
}

/** How many pages a digest has. */
export function pageCount(digest: DriftDigest): number {
  return Math.max(1, Math.ceil(digest.rows.length / DIGEST_ROWS_PER_PAGE));
}

/**
 * A drift digest, one page of it: what changed outside the bot on one account, each change with Accept / Revert /
 * Make temporary until someone acts, then who did what and when.
 */
export function digestMessage(digest: DriftDigest, page = 0): MessageBody {
  const pages = pageCount(digest);
  const shown = Math.min(Math.max(0, page), pages - 1);
  const first = shown * DIGEST_ROWS_PER_PAGE;
  const settled = digest.rows.filter((row) => row.status !== 'open' && row.status !== 'acting').length;
  const omitted = digest.omitted
    ? mrkdwn` ${plural(digest.omitted, 'more change')} are not listed here; each person’s \`/waba history\` has them.`
    : mrkdwn``;
  const blocks: Block[] = [
    header(`Changes outside the bot on ${digest.alias}`),
    section(
      mrkdwn`The roster read ${slackDate(digest.readAt)} differs from what the bot expected (its read ${slackDate(digest.comparedWith)} and its own changes since).${omitted}\n*Accept* keeps a change, *Revert* puts back what the bot expected, *Make temporary* keeps what a change gave until a time you choose, then puts it back. Approvers of *${digest.alias}* decide; nobody decides a change to their own access.`,
    ),
  ];
  digest.rows.slice(first, first + DIGEST_ROWS_PER_PAGE).forEach((row, offset) => {
    // Two blocks a row: the change (with a failed try, while it is open again), then its buttons or its outcome.
    const ref = { digestId: digest.id, index: first + offset };
    const buttons = rowButtons(ref, row);
    const outcome = rowOutcome(row);
    blocks.push(section(buttons && outcome ? mrkdwn`${changeText(row)}\n${outcome}` : changeText(row)));
    if (buttons) blocks.push(buttons);
    else if (outcome) blocks.push(context(outcome));
  });
  blocks.push(
    context(
      mrkdwn`${plural(digest.rows.length, 'change')}, ${settled} settled${pages > 1 ? mrkdwn` · page ${shown + 1} of ${pages}` : mrkdwn``} · report ${code(digest.id)}`,
    ),
  );
  if (pages > 1) {
    blocks.push(
      actions(blockId('drift-pages', digest.id), [
        ...(shown > 0 ? [button(ACTION.driftPage, 'Previous', `${digest.id}:${shown - 1}`)] : []),
        ...(shown < pages - 1 ? [button(ACTION.driftPage, 'Next', `${digest.id}:${shown + 1}`)] : []),
      ]),
    );
  }
  return message(
    mrkdwn`${plural(digest.rows.length + digest.omitted, 'change')} made outside the bot on ${digest.alias}`,
    blocks.slice(0, LIMITS.messageBlocks),
  );
}

/** Private metadata of the Make temporary form: the row, and the channel the click came from. */
export interface TemporaryFormMetadata extends RowRef {
  channelId?: string;
}

export function parseTemporaryMetadata(raw: string): TemporaryFormMetadata | undefined {
  try {
    const parsed = JSON.parse(raw) as { r?: string; c?: string };
    const ref = parseRowValue(parsed.r);
    if (!ref) return undefined;
    return typeof parsed.c === 'string' ? { ...ref, channelId: parsed.c } : ref;
  } catch {
    return undefined;
  }
}

/** The row and channel as the form carries them: only well-formed ids, so it stays within Slack's limit. */
function formMetadata(meta: TemporaryFormMetadata): string {
  const value = rowValue(meta);
  if (!parseRowValue(value)) return '{}';
  const channel = meta.channelId && /^[CDG][A-Z0-9]{1,40}$/.test(meta.channelId) ? { c: meta.channelId } : {};
  return JSON.stringify({ r: value, ...channel });
}

/**
 * Make temporary: how long to keep what the change gave. Opened before the row is read (a click's trigger lives
 * about 3 seconds), then filled in with the change and the account's limits.
 */
export function temporaryModal(meta: TemporaryFormMetadata, known?: { row: DriftRow; maxMs: number }): ModalView {
  const intro = known
    ? mrkdwn`${changeText(known.row)}\nKeeps ${taskList(addedTasks(known.row))} until then, then puts back ${taskList(known.row.expected)}. At most ${formatDuration(known.maxMs)}.`
    : mrkdwn`Keeps what the change gave until then, then puts back what the bot expected.`;
  return modal({
    callbackId: VIEW.driftTemporary,
    privateMetadata: formMetadata(meta),
    title: 'Make temporary',
    submit: 'Keep for now',
    close: 'Cancel',
    blocks: [section(intro), durationInput({ label: 'For how long?', placeholder: '1d' })],
  });
}

/** The private answer to a click on a digest row; undefined when the digest itself shows what happened. */
export function driftClickReply(result: DriftActionResult): Mrkdwn | undefined {
  switch (result.kind) {
    case 'done':
      return undefined;
    case 'not-found':
      return mrkdwn`I can’t find this report any more, so nothing changed.`;
    case 'unconfigured':
      return mrkdwn`This report is about WhatsApp Business Account ${code(result.wabaId)}, which is no longer in the bot’s policy; nothing changed.`;
    case 'forbidden':
      if (result.reason === 'requester')
        return mrkdwn`You asked for the temporary access this change ended, so another approver has to decide it; nothing changed.`;
      return result.reason === 'beneficiary'
        ? mrkdwn`This change is to your own access (the Meta user linked to you), so another approver has to decide it; nothing changed.`
        : mrkdwn`Only the account’s approvers can act on changes found outside the bot; nothing changed. The approvers are ${join(result.approverIds.map(mention), ', ')}.`;
    case 'already':
      return mrkdwn`Someone already dealt with this change; nothing more was done.\n${rowOutcome(result.row) ?? ''}`;
    case 'busy':
      return mrkdwn`${result.row?.by ? mention(result.row.by) : mrkdwn`Another approver`} is acting on this change right now; the report updates in a moment.`;
    case 'superseded':
      return mrkdwn`${personLabel(result.row)}’s access changed again since this report (now ${taskList(result.row.now ?? null)}), so nothing was sent. The next check reports the new change.`;
    case 'nothing-to-keep':
      return mrkdwn`This change gave no access to keep, so it cannot be made temporary; Accept or Revert it.`;
    case 'too-long':
      return mrkdwn`That is longer than this account allows (${formatDuration(result.maxMs)} at most); nothing changed. Click *Make temporary* again and give ${formatDuration(result.maxMs)} or less.`;
    case 'too-short':
      return mrkdwn`That is shorter than this account allows (${formatDuration(result.minMs)} at least); nothing changed. Click *Make temporary* again and give ${formatDuration(result.minMs)} or more.`;
    case 'failed':
      return mrkdwn`Nothing changed: ${result.error.userMessage ?? result.error.message}. The row is open again; try again.`;
  }
}

/** One line of a person's history. */
function eventLine(event: ShownEvent, history: PersonHistory): Mrkdwn {
  const when = slackDate(event.at);
  switch (event.kind) {
    case 'write': {
      const what = event.tasks ? mrkdwn`set ${taskList(event.tasks)}` : mrkdwn`removed them from the account`;
      const id = event.cause?.match(/^request:(.+)$/)?.[1];
      const people = id ? history.requests.get(id) : undefined;
      const why = id
        ? people
          ? mrkdwn` (request ${code(id)}: ${whoDecided(people)})`
          : mrkdwn` (request ${code(id)})`
        : event.cause?.startsWith('drift:')
          ? mrkdwn` (from report ${code(event.cause.slice('drift:'.length))})`
          : mrkdwn``;
      const outcome =
        event.outcome === 'done'
          ? mrkdwn``
          : event.outcome === 'unknown'
            ? mrkdwn` — Meta’s answer was lost; the next read showed what happened`
            : mrkdwn` — under way`;
      return mrkdwn`• ${when} — the bot ${what}${why}${outcome}`;
    }
    case 'drift':
      return mrkdwn`• ${when} — found changed outside the bot: ${taskList(event.expected)} → ${taskList(event.found)} (report ${code(event.digestId)})`;
    case 'drift-action':
      switch (event.action) {
        case 'accepted':
          return mrkdwn`• ${when} — ${mention(event.actor)} accepted that change`;
        case 'reverted':
          return mrkdwn`• ${when} — ${mention(event.actor)} reverted it to ${taskList(event.tasks)}`;
        case 'temporary':
          return mrkdwn`• ${when} — ${mention(event.actor)} made it temporary${event.until ? mrkdwn` until ${slackDate(event.until)}` : mrkdwn``}`;
      }
  }
}

/** Who asked for a change of the bot's and who approved it; one approver acting alone (Make temporary) decided it. */
function whoDecided(people: { requesterId: string; approverIds: string[] }): Mrkdwn {
  const { requesterId, approverIds } = people;
  if (approverIds.length === 1 && approverIds[0] === requesterId) return mrkdwn`decided by ${mention(requesterId)}`;
  const approved = approverIds.length ? mrkdwn`, approved by ${join(approverIds.map(mention), ', ')}` : mrkdwn``;
  return mrkdwn`asked by ${mention(requesterId)}${approved}`;
}

/** `/waba history`: what a person held on an account, and each recorded change with who made it. */
export function historyMessage(history: PersonHistory, slackId?: string): MessageBody {
  const who = personLabel({
    userId: history.userId,
    ...(history.name ? { name: history.name } : {}),
    ...(slackId ? { slackId } : {}),
  });
  const title = header(`History on ${history.alias}`);
  if (!history.start && history.events.length === 0) {
    return message(mrkdwn`No history of ${history.userId} on ${history.alias} yet.`, [
      title,
      section(
        mrkdwn`Nothing is recorded yet about ${who} on *${history.alias}*: history starts with the first drift check (\`DRIFT_CHECK_EVERY\`), and the bot’s own changes are recorded from then on.`,
      ),
    ]);
  }
  const lines: Mrkdwn[] = [];
  if (history.start)
    lines.push(mrkdwn`*${slackDay(history.start.day)}* (the first day kept): ${taskList(history.start.tasks)}`);
  if (history.earlier > 0) lines.push(mrkdwn`_${plural(history.earlier, 'earlier change')} not shown_`);
  lines.push(...history.events.map((event) => eventLine(event, history)));
  const now = history.now
    ? mrkdwn`*Now:* ${taskList(history.now.tasks)} (read from Meta ${slackDate(history.now.readAt)})`
    : mrkdwn``;
  const chunks = packLines(lines).slice(0, LIMITS.messageBlocks - 4);
  return message(mrkdwn`History of ${history.userId} on ${history.alias}`, [
    title,
    section(mrkdwn`${who} on *${history.alias}*`),
    ...chunks.map((chunk) => section(chunk)),
    ...(history.now ? [section(now)] : []),
    context(
      mrkdwn`From the daily rosters and the bot’s records of its own changes, kept ${plural(history.keepDays, 'day')}${history.firstDay ? mrkdwn` (from ${slackDay(history.firstDay)})` : mrkdwn``}.`,
    ),
  ]);
}

/** `/waba who <date>`: everyone with access on that day, or why the history cannot say. */
export function whoMessage(result: WhoResult): MessageBody {
  const day = slackDay(result.day);
  switch (result.kind) {
    case 'future':
      return problemMessage(
        mrkdwn`${plain(result.day)} has not happened yet (today is ${slackDay(result.today)} for the bot).`,
        mrkdwn`Ask about a past day: \`/waba who yesterday\` or \`/waba who 2026-11-01\`.`,
      );
    case 'before-history':
      return problemMessage(
        result.first
          ? mrkdwn`The bot has no record of *${result.alias}* on ${plain(result.day)}: its history starts ${slackDay(result.first)} and keeps ${plural(result.keepDays, 'day')} (\`HISTORY_DAYS\`).`
          : mrkdwn`The bot has no history of *${result.alias}* yet: the first drift check records it.`,
        result.first
          ? mrkdwn`Ask about ${plain(result.first)} or later.`
          : mrkdwn`Drift checks run every \`DRIFT_CHECK_EVERY\` (unless it is \`off\`).`,
      );
    case 'day': {
      const title = header(`Who had access to ${result.alias}`);
      const how = result.carried
        ? mrkdwn`The bot did not read the roster on ${day}; this is the roster as last read before it, ${slackDate(result.record.lastReadAt)}.`
        : mrkdwn`Everyone who held access at some moment of the day (${slackDate(`${result.day}T00:00:00Z`)} to ${slackDate(`${addDays(result.day, 1)}T00:00:00Z`)}), as the bot’s reads saw it (${slackDate(result.record.firstReadAt)} to ${slackDate(result.record.lastReadAt)}) with its own changes.`;
      if (result.held.length === 0) {
        return message(mrkdwn`Nobody had access to ${result.alias} on ${result.day}.`, [
          title,
          section(mrkdwn`Nobody had access to *${result.alias}* on ${day}.`),
          context(how),
        ]);
      }
      const lines = result.held.map((user) => {
        const name = user.name ? mrkdwn`*${user.name}* ` : mrkdwn``;
        const gone = result.goneBy.has(user.id) ? mrkdwn` · _no longer by the day’s last read_` : mrkdwn``;
        return mrkdwn`• ${name}${code(user.id)} · ${taskList(user.tasks)}${gone}`;
      });
      const chunks = packLines(lines);
      const shown = chunks.slice(0, LIMITS.messageBlocks - 4);
      const cut =
        shown.length < chunks.length
          ? mrkdwn` Only the first part is shown; \`/waba history\` answers for one person.`
          : mrkdwn``;
      return message(mrkdwn`${people(result.held.length)} had access to ${result.alias} on ${result.day}.`, [
        title,
        section(mrkdwn`*${people(result.held.length)}* had access to *${result.alias}* on ${day}.`),
        ...shown.map((chunk) => section(chunk)),
        context(mrkdwn`${how}${cut}`),
      ]);
    }
  }
}
