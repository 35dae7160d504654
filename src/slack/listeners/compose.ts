import { composeModal } from '../blocks/modals.js';
import type { ModalView } from '../blocks/types.js';
import type { Prefill } from '../request-again.js';
import type { ListenerDeps } from './deps.js';

/**
 * The request form, from what is in memory only (it opens within a click's or command's 3 seconds): the accounts to
 * choose from, the Emergency tick box when anyone may use break-glass, and what a Request again fills in.
 */
export function composeForm(deps: ListenerDeps, channelId: string, prefill?: Prefill): ModalView {
  const accounts = deps.accounts.list();
  return composeModal(
    { channelId },
    { aliases: accounts.map((known) => known.policy.alias), defaultAlias: deps.accounts.default.policy.alias },
    { ...(prefill ? { prefill } : {}), emergency: accounts.some((account) => account.policy.breakGlass) },
  );
}
