import type { webApi } from '@slack/bolt';
import type { SlackEmails } from '../access/directory.js';

interface Workspace {
  /** Username or display name → id; '' where a name is ambiguous. */
  byName: Map<string, string>;
  emailById: Map<string, string>;
  idByEmail: Map<string, string>;
}

/**
 * Finds Slack people by the name typed after `@` (for `/waba grant @alice …` written without autocomplete), and by
 * email (for policy-file entries that name people by email). One `users.list` read serves both, cached.
 */
export class SlackPeople implements SlackEmails {
  private cached?: { workspace: Workspace; at: number };

  constructor(
    private readonly client: webApi.WebClient,
    private readonly cacheMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The id of the person whose username or display name is `name` (any case), if exactly one matches. */
  async idOf(name: string): Promise<string | undefined> {
    return (await this.workspace()).byName.get(name.toLowerCase()) || undefined;
  }

  /** A person's email (lower case); needs the `users:read.email` scope. */
  async emailOf(slackId: string): Promise<string | undefined> {
    return (await this.workspace()).emailById.get(slackId);
  }

  async slackIdOf(email: string): Promise<string | undefined> {
    return (await this.workspace()).idByEmail.get(email.toLowerCase());
  }

  /** Every active person, from `users.list` (all pages), cached. */
  private async workspace(): Promise<Workspace> {
    if (this.cached && this.now() - this.cached.at < this.cacheMs) return this.cached.workspace;
    const workspace: Workspace = { byName: new Map(), emailById: new Map(), idByEmail: new Map() };
    const { byName } = workspace;
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
        const email = member.profile?.email?.toLowerCase();
        if (email) {
          workspace.emailById.set(member.id, email);
          workspace.idByEmail.set(email, member.id);
        }
      }
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    this.cached = { workspace, at: this.now() };
    return workspace;
  }
}
