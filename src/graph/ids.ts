/**
 * Meta's ids (business users, WABAs, businesses): digits only, as Graph writes them. The one pattern the bot checks
 * an id against, wherever it comes from (the environment, the policy file, a command, a form, a button's value).
 */
export const META_ID = /^[0-9]{1,32}$/;

/** Whether `text` is shaped like a Meta id. */
export function isMetaId(text: string): boolean {
  return META_ID.test(text);
}
