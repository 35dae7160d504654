import type { SlackPersonRef, UserRef } from '../commands.js';
import { code, type Mrkdwn, mention, mrkdwn } from '../format.js';
import type { ListenerDeps } from './deps.js';

/** What was wrong with a person named in a command, and what to type instead. */
export type Problem = { problem: Mrkdwn; hint: Mrkdwn };

/** A person named in a command, as a Slack id: mentions carry it; `@name` is looked up. */
export async function resolvePerson(
  deps: ListenerDeps,
  person: SlackPersonRef,
): Promise<{ slackId: string } | Problem> {
  if (person.kind === 'slack') return { slackId: person.slackId };
  const slackId = await deps.people.idOf(person.name);
  if (slackId) return { slackId };
  return {
    problem: mrkdwn`I can’t find exactly one Slack person called ${code(`@${person.name}`)}.`,
    hint: mrkdwn`Pick them from Slack’s @-suggestions so the mention carries who they are, or use their Meta id.`,
  };
}

/** Who a command is about, as a Meta business-user id (and the Slack person, when there is one). */
export async function resolveUser(
  deps: ListenerDeps,
  user: UserRef,
): Promise<{ metaUserId: string; slackId?: string } | Problem> {
  if (user.kind === 'meta') {
    const slackId = await deps.directory.slackIdOf(user.id);
    return { metaUserId: user.id, ...(slackId ? { slackId } : {}) };
  }
  const person = await resolvePerson(deps, user);
  if ('problem' in person) return person;
  const metaUserId = await deps.directory.metaIdOf(person.slackId);
  if (metaUserId) return { metaUserId, slackId: person.slackId };
  return {
    problem: mrkdwn`I don’t know which Meta business user ${mention(person.slackId)} is.`,
    hint: mrkdwn`An admin can link them once: \`/waba link ${mention(person.slackId)} ${'<meta-user-id>'}\` (the id is in Meta Business Settings → Users → People). Until then, use their Meta id.`,
  };
}
