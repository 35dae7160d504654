import type { webApi } from '@slack/bolt';
import type { GroupMembers } from '../access/policy.js';

/** Members of Slack user groups, cached briefly so every click does not cost an API call. */
export function slackGroupMembers(
  client: webApi.WebClient,
  cacheMs = 60_000,
  now: () => number = Date.now,
): GroupMembers {
  const cache = new Map<string, { members: string[]; at: number }>();
  return async (groupId) => {
    const hit = cache.get(groupId);
    if (hit && now() - hit.at < cacheMs) return hit.members;
    const reply = await client.usergroups.users.list({ usergroup: groupId });
    const members = reply.users ?? [];
    cache.set(groupId, { members, at: now() });
    return members;
  };
}
