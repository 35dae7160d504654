import type { LinkChange } from '../../access/directory.js';
import { mention } from '../format.js';
import { section } from './kit.js';
import type { MessageBody } from './types.js';

/** What approvers are told when someone changes who a person is: one line, as the audit trail has it. */
export function linkChangeMessage(change: LinkChange): MessageBody {
  const { by, link } = change;
  const text =
    change.kind === 'linked'
      ? `🔗 ${mention(by)} linked ${mention(link.slackId)} to Meta user \`${link.metaUserId}\`${change.previous ? ` (was \`${change.previous.metaUserId}\`)` : ' (was not linked)'}${change.displaced ? `; ${mention(change.displaced.slackId)} was linked to it before and no longer is` : ''}.`
      : `🔗 ${mention(by)} unlinked ${mention(link.slackId)} from Meta user \`${link.metaUserId}\`.`;
  return { text, blocks: [section(text)] };
}
