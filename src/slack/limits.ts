/**
 * Slack platform limits, written once.
 * @see https://docs.slack.dev/reference/block-kit/blocks
 * @see https://docs.slack.dev/reference/block-kit/composition-objects
 * @see https://docs.slack.dev/surfaces/modals
 * @see https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element
 */
export const LIMITS = {
  /** Blocks in one message. */
  messageBlocks: 50,
  /** Blocks in one modal or Home tab. */
  viewBlocks: 100,
  /** Characters of text in a section block. */
  sectionText: 3000,
  /** Fields in a section block, and characters in each. */
  sectionFields: 10,
  fieldText: 2000,
  /** Characters of a header block's text. */
  headerText: 150,
  /** Options in a static select menu, and characters of an option's text. */
  selectOptions: 100,
  optionText: 75,
  /** Elements in an actions block. */
  actionsElements: 25,
  /** Characters of a button's text and value. */
  buttonText: 75,
  buttonValue: 2000,
  /** Characters of a modal's title, submit and close labels. */
  modalTitle: 24,
  /** Characters of a view's private_metadata. */
  privateMetadata: 3000,
  /** Characters of a context block's text element. */
  contextText: 3000,
  /** Characters of a `block_id` or `action_id`. */
  blockId: 255,
  /** Characters of a message's top-level `text`, the notification fallback (Slack truncates far longer ones). */
  fallbackText: 3000,
} as const;
