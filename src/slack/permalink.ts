import type { webApi } from '@slack/bolt';
import type { MessageRef } from '../access/request.js';

/**
 * A link to the first of `messages` posted in a channel (a DM's message opens only for whoever is in it), or
 * undefined when there is none or Slack gives none: what would link to it does without, and `failed` hears why.
 */
export async function channelPermalink(
  client: webApi.WebClient,
  messages: readonly MessageRef[],
  failed?: (error: unknown) => void,
): Promise<string | undefined> {
  const shared = messages.find((ref) => !ref.channel.startsWith('D'));
  if (!shared) return undefined;
  try {
    return (await client.chat.getPermalink({ channel: shared.channel, message_ts: shared.ts })).permalink;
  } catch (error) {
    failed?.(error);
    return undefined;
  }
}
