import type { webApi } from '@slack/bolt';
import type { AccountLookup } from '../access/accounts.js';
import type { MessageRef } from '../access/request.js';
import type { MessageBody } from './blocks/types.js';

/**
 * Posts a message where an account's approvers decide: its approval channel, or each of its approvers by DM except
 * `except` (the requester, who does not decide their own request). The messages posted, to update them later.
 */
export async function postToApprovers(
  client: webApi.WebClient,
  accounts: AccountLookup,
  wabaId: string,
  body: MessageBody,
  except?: string,
): Promise<MessageRef[]> {
  const account = accounts.forWaba(wabaId);
  if (!account) throw new Error(`No account is configured for WABA ${wabaId}, so there is nobody to tell.`);
  const channel = account.policy.approvalChannelId;
  if (channel) {
    const posted = await client.chat.postMessage({ channel, ...body });
    return [{ channel: posted.channel ?? channel, ts: String(posted.ts) }];
  }
  const approvers = (await account.approvers.approverUserIds()).filter((id) => id !== except);
  if (approvers.length === 0) throw new Error(`No approver${except ? ' other than the requester' : ''} can be told.`);
  const refs: MessageRef[] = [];
  // Posting to a user id opens the DM with them.
  for (const approver of approvers) {
    const posted = await client.chat.postMessage({ channel: approver, ...body });
    refs.push({ channel: String(posted.channel), ts: String(posted.ts) });
  }
  return refs;
}
