import type Keyv from 'keyv';
import type { DirectoryStore, PersonLink } from '../access/directory.js';

const bySlack = (slackId: string) => `person:slack:${slackId}`;
const byMeta = (metaUserId: string) => `person:meta:${metaUserId}`;

/** Person links in any Keyv store, findable from either side. */
export class KeyvDirectoryStore implements DirectoryStore {
  constructor(private readonly keyv: Keyv) {}

  async linkOf(slackId: string): Promise<PersonLink | undefined> {
    return (await this.keyv.get(bySlack(slackId))) as PersonLink | undefined;
  }

  async linkOfMeta(metaUserId: string): Promise<PersonLink | undefined> {
    return (await this.keyv.get(byMeta(metaUserId))) as PersonLink | undefined;
  }

  async saveLink(link: PersonLink): Promise<void> {
    await this.keyv.set(bySlack(link.slackId), link);
    await this.keyv.set(byMeta(link.metaUserId), link);
  }

  async deleteLink(link: PersonLink): Promise<void> {
    await this.keyv.delete(bySlack(link.slackId));
    // Only the reverse entry that still points at this person: another person may hold that Meta user now.
    if ((await this.linkOfMeta(link.metaUserId))?.slackId === link.slackId)
      await this.keyv.delete(byMeta(link.metaUserId));
  }
}
