import type { types } from '@slack/bolt';

export type Block = types.KnownBlock;
export type ModalView = types.ModalView;

/** A message body: blocks plus the plain-text fallback used in notifications. */
export interface MessageBody {
  text: string;
  blocks: Block[];
}
