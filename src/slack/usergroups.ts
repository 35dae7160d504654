import type { webApi } from '@slack/bolt';
import type { GroupMembers } from '../access/policy.js';

/** Whether a configured id names a Slack user group (`S…`) rather than a person (`U…`, `W…`). */
export function isUserGroupId(id: string): boolean {
  return id.startsWith('S');
}

/**
 * Members of the Slack user groups among configured ids, cached briefly so every click does not cost an API call;
 * undefined for ids that name a person.
 */
export function slackGroupMembers(
  client: webApi.WebClient,
  cacheMs = 60_000,
  now: () => number = Date.now,
): GroupMembers {
  const cache = new Map<string, { members: string[]; at: number }>();
  return async (groupId) => {
    if (!isUserGroupId(groupId)) return undefined;
    const hit = cache.get(groupId);
    if (hit && now() - hit.at < cacheMs) return hit.members;
    const reply = await client.usergroups.users.list({ usergroup: groupId });
    const members = reply.users ?? [];
    cache.set(groupId, { members, at: now() });
    return members;
  };
}
