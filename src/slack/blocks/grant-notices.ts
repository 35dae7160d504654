import type { TemporaryGrant } from '../../access/grants.js';
import type { AccessRequest } from '../../access/request.js';
import { code, mention, mrkdwn, slackDate, taskList, withoutBold } from '../format.js';
import { ACTION } from '../ids.js';
import { actions, blockId, button, context, message, section } from './kit.js';
import { grantText, targetLabel } from './request.js';
import type { MessageBody } from './types.js';

/** "I'm done", with a confirmation: the access goes at once. */
export function doneElement(grantId: string) {
  return button(ACTION.done, 'I’m done', grantId, {
    confirm: {
      title: { type: 'plain_text', text: 'Give this access back now?' },
      text: { type: 'plain_text', text: 'The user goes back to the access they had before this grant.' },
      confirm: { type: 'plain_text', text: 'I’m done' },
      deny: { type: 'plain_text', text: 'Cancel' },
    },
  });
}

/**
 * The heads-up before a temporary grant ends, to who asked for it and who holds it: when it ends, and the two things
 * to do about it.
 */
export function endingSoonMessage(grant: TemporaryGrant, request: AccessRequest): MessageBody {
  const account = request.accountAlias ? mrkdwn` on *${request.accountAlias}*` : mrkdwn``;
  const text = mrkdwn`⏳ *Ending soon:* ${taskList(grant.tasks)} for ${targetLabel(request)}${account} ends ${slackDate(grant.endsAt)}.`;
  return message(withoutBold(text), [
    section(
      mrkdwn`${text}\nNeed longer? *Ask for more time*: an approver decides. Finished already? *I’m done* gives the access back now.`,
    ),
    context(mrkdwn`Request ${code(grant.requestId)} · asked by ${mention(grant.requesterId)}`),
    actions(blockId('ending', grant.id), [button(ACTION.extend, 'Ask for more time', grant.id), doneElement(grant.id)]),
  ]);
}

/** What the approvers hear when the person who asked for a grant, or holds it, gave it back early. */
export function doneNotice(grant: TemporaryGrant, request: AccessRequest): MessageBody {
  const text = grantText(grant, request);
  return message(withoutBold(text), [section(mrkdwn`✋ Request ${code(request.id)}: ${text}`)]);
}
