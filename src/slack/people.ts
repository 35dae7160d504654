import type { webApi } from '@slack/bolt';

/** Finds Slack people by the name typed after `@`, for `/waba grant @alice …` written without autocomplete. */
export class SlackPeople {
  private cached?: { byName: Map<string, string>; at: number };

  constructor(
    private readonly client: webApi.WebClient,
    private readonly cacheMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The id of the person whose username or display name is `name` (any case), if exactly one matches. */
  async idOf(name: string): Promise<string | undefined> {
    const byName = await this.names();
    return byName.get(name.toLowerCase()) || undefined;
  }

  /** Usernames and display names → ids, from `users.list` (all pages), cached; an ambiguous name maps to ''. */
  private async names(): Promise<Map<string, string>> {
    if (this.cached && this.now() - this.cached.at < this.cacheMs) return this.cached.byName;
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
    this.cached = { byName, at: this.now() };
    return byName;
  }
}
