import type { webApi } from '@slack/bolt';
import type { SlackEmails } from '../access/directory.js';

/** A Web API error's code (`users_not_found`, …), when it is one. */
function slackError(error: unknown): string | undefined {
  return (error as { data?: { error?: string } } | undefined)?.data?.error;
}

/**
 * Finds Slack people: by the name typed after `@` (for `/waba grant @alice …` written without autocomplete), and by
 * email (for policy-file entries that name people by email). Answers are cached for a few minutes.
 */
export class SlackPeople implements SlackEmails {
  private names?: { byName: Map<string, string>; at: number };
  private readonly answers = new Map<string, { value: string | undefined; at: number }>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly cacheMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The id of the person whose username or display name is `name` (any case), if exactly one matches. */
  async idOf(name: string): Promise<string | undefined> {
    return (await this.byName()).get(name.toLowerCase()) || undefined;
  }

  /** A person's email, lower case (`users.info`; Slack leaves it out without the `users:read.email` scope). */
  emailOf(slackId: string): Promise<string | undefined> {
    return this.cached(`id:${slackId}`, async () => {
      try {
        const { user } = await this.client.users.info({ user: slackId });
        return user?.profile?.email?.toLowerCase();
      } catch (error) {
        if (slackError(error) === 'user_not_found') return undefined;
        throw error;
      }
    });
  }

  /** The person with this email (`users.lookupByEmail`). */
  slackIdOf(email: string): Promise<string | undefined> {
    return this.cached(`email:${email.toLowerCase()}`, async () => {
      try {
        return (await this.client.users.lookupByEmail({ email })).user?.id;
      } catch (error) {
        if (slackError(error) === 'users_not_found') return undefined;
        throw error;
      }
    });
  }

  private async cached(key: string, read: () => Promise<string | undefined>): Promise<string | undefined> {
    const known = this.answers.get(key);
    if (known && this.now() - known.at < this.cacheMs) return known.value;
    const value = await read();
    this.answers.set(key, { value, at: this.now() });
    return value;
  }

  /** Usernames and display names → ids, from `users.list` (all pages), cached; an ambiguous name maps to ''. */
  private async byName(): Promise<Map<string, string>> {
    if (this.names && this.now() - this.names.at < this.cacheMs) return this.names.byName;
    const byName = new Map<string, string>();
    const add = (name: string | undefined, id: string) => {
      const key = name?.trim().toLowerCase().replace(/\s+/g, '.');
      if (!key) return;
      byName.set(key, byName.has(key) && byName.get(key) !== id ? '' : id);
    };
    let cursor: string | undefined;
    do {
      const page = await this.client.users.list({ limit: 200, ...(cursor ? { cursor } : {}) });
      for (const member of page.members ?? []) {
        if (!member.id || member.deleted || member.is_bot) continue;
        add(member.name, member.id);
        add(member.profile?.display_name, member.id);
      }
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    this.names = { byName, at: this.now() };
    return byName;
  }
}
