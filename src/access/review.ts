import { z } from 'zod';
import type { AssignedUser } from '../graph/schemas.js';
import { executionErrorSchema, messageRefSchema } from './request.js';
import { normalizeTasks, taskSchema } from './tasks.js';

/**
 * An access review: everyone on one WABA, as one roster read found them, each confirmed by an approver — kept,
 * removed, or kept until a chosen time and then removed. A review is stored as a header (progress, where it is
 * shown) and its rows in pages of `REVIEW_PAGE_SIZE`, each page a record of its own, so a decision rewrites ten
 * rows whatever the roster's size, and a page of rows is what one message shows.
 *
 *   row: open ─▶ keep
 *          ├──▶ remove (removing ─▶ removed | gone)          a failed removal opens the row again
 *          └──▶ temporary (applying ─▶ applied | gone)      likewise
 */

/** Rows a page holds, and a review message shows at once (two blocks each, well inside Slack's 50). */
export const REVIEW_PAGE_SIZE = 10;

const isoDate = z.iso.datetime();

const decided = { by: z.string(), at: isoDate };

export const rowDecisionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('keep'), ...decided }),
  z.object({
    kind: z.literal('remove'),
    ...decided,
    /** The revoke request that carries it out. */
    requestId: z.string(),
    /** `gone`: the person had no access any more when the bot read them afresh, so nothing was sent. */
    status: z.enum(['removing', 'removed', 'gone']),
  }),
  z.object({
    kind: z.literal('temporary'),
    ...decided,
    requestId: z.string(),
    /** When the access ends, as chosen; the grant's own end once applied. */
    endsAt: isoDate,
    status: z.enum(['applying', 'applied', 'gone']),
  }),
]);
export type RowDecision = z.infer<typeof rowDecisionSchema>;
export type RowChoice = RowDecision['kind'];

export const reviewRowSchema = z.object({
  userId: z.string(),
  /** Meta's name for the person when the roster was read ('' when it gave none). */
  name: z.string(),
  userType: z.string().optional(),
  /** What the person held when the roster was read. */
  tasks: z.array(taskSchema),
  decision: rowDecisionSchema.optional(),
  /** Why the last decision could not be carried out; the row is open again. */
  failure: z
    .object({ choice: z.enum(['remove', 'temporary']), by: z.string(), at: isoDate, error: executionErrorSchema })
    .optional(),
});
export type ReviewRow = z.infer<typeof reviewRowSchema>;

export const reviewPageSchema = z.object({
  reviewId: z.string(),
  /** From 0. */
  page: z.number().int().nonnegative(),
  rows: z.array(reviewRowSchema),
  version: z.number().int().nonnegative().optional(),
});
export type ReviewPage = z.infer<typeof reviewPageSchema>;

/** A row whose decision is being carried out on Graph, with the request doing it. */
export const workingRowSchema = z.object({
  page: z.number().int().nonnegative(),
  index: z.number().int().nonnegative(),
  requestId: z.string(),
  since: isoDate,
});
export type WorkingRow = z.infer<typeof workingRowSchema>;

export const reviewSchema = z.object({
  id: z.string(),
  wabaId: z.string(),
  accountAlias: z.string(),
  /** A Slack user, or `system` for a scheduled review. */
  startedBy: z.string(),
  startedAt: isoDate,
  /** When Meta was asked for the roster the rows come from. */
  readAt: isoDate,
  total: z.number().int().nonnegative(),
  pages: z.number().int().positive(),
  state: z.enum(['open', 'closed']),
  /** Rows with a decision, by page (a decision being carried out counts). Each entry is a page's own count. */
  decidedByPage: z.array(z.number().int().nonnegative()),
  working: z.array(workingRowSchema),
  /** Everyone who decided a row, in the order they first did. */
  reviewers: z.array(z.string()),
  /** Where the review is shown, and which page each message shows. */
  messages: z.array(messageRefSchema.extend({ page: z.number().int().nonnegative() })),
  remindedAt: isoDate.optional(),
  closedAt: isoDate.optional(),
  /** Set when the review ended without being finished (it could not be posted). */
  abandoned: z.string().optional(),
  updatedAt: isoDate,
  /** The header version a recount last confirmed, so a quiet review is recounted once. */
  checkedVersion: z.number().int().nonnegative().optional(),
  version: z.number().int().nonnegative().optional(),
});
export type Review = z.infer<typeof reviewSchema>;
export type ReviewMessage = Review['messages'][number];

/** Per WABA: the review open on it, if any, and when the last one started (what the schedule counts from). */
export const wabaReviewsSchema = z.object({
  openReviewId: z.string().optional(),
  lastStartedAt: isoDate.optional(),
  version: z.number().int().nonnegative().optional(),
});
export type WabaReviews = z.infer<typeof wabaReviewsSchema>;

/** One line of a review's audit trail. */
export interface ReviewAuditEntry {
  reviewId: string;
  at: string;
  actor: string;
  event: 'review-started' | 'row-decided' | 'row-settled' | 'row-reopened' | 'reminded' | 'review-closed' | 'recounted';
  /** The row concerned, by Meta user id. */
  userId?: string;
  detail?: string;
}

/** How many rows have a decision. */
export function decidedCount(review: Review): number {
  return review.decidedByPage.reduce((sum, count) => sum + count, 0);
}

/** Whether every row is decided and carried out. */
export function isComplete(review: Review): boolean {
  return decidedCount(review) >= review.total && review.working.length === 0;
}

/** Rows of a page that carry a decision. */
export function decidedIn(page: ReviewPage): number {
  return page.rows.filter((row) => row.decision).length;
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/** A roster as review rows, in name order (as `/waba list` shows it), cut into pages. */
export function reviewPages(reviewId: string, users: readonly AssignedUser[]): ReviewPage[] {
  const sorted = [...users].sort((a, b) => collator.compare(a.name, b.name) || (a.id < b.id ? -1 : 1));
  const pages: ReviewPage[] = [];
  for (let start = 0; start < sorted.length; start += REVIEW_PAGE_SIZE) {
    pages.push({
      reviewId,
      page: pages.length,
      rows: sorted.slice(start, start + REVIEW_PAGE_SIZE).map((user) => ({
        userId: user.id,
        name: user.name,
        ...(user.user_type ? { userType: user.user_type } : {}),
        tasks: normalizeTasks(user.tasks),
      })),
    });
  }
  return pages;
}

/** A row's place in its review, as buttons carry it; the Meta user id guards against a row that moved. */
export interface RowRef {
  reviewId: string;
  page: number;
  index: number;
  userId: string;
}

/** The pages a set of messages shows, each once. */
export function pagesShown(review: Review): number[] {
  return [...new Set(review.messages.map((message) => message.page))];
}

/** What a finished review came to, for its closing summary. */
export interface ReviewSummary {
  kept: number;
  removed: ReviewRow[];
  /** Chose Remove, but the person had no access any more. */
  gone: ReviewRow[];
  temporary: ReviewRow[];
}

/** Tallies the decisions of every page. */
export function summarize(pages: readonly ReviewPage[]): ReviewSummary {
  const summary: ReviewSummary = { kept: 0, removed: [], gone: [], temporary: [] };
  for (const page of pages) {
    for (const row of page.rows) {
      const decision = row.decision;
      if (!decision) continue;
      if (decision.kind === 'keep') summary.kept++;
      else if (decision.status === 'gone') summary.gone.push(row);
      else if (decision.kind === 'remove') summary.removed.push(row);
      else summary.temporary.push(row);
    }
  }
  return summary;
}

/** Why a review row was not decided, as data (the Slack layer words it). */
export type ReviewRefusal =
  | { kind: 'not-found' }
  /** The review is over. */
  | { kind: 'closed'; review: Review }
  /** The row was decided already: by whom and how. */
  | { kind: 'already'; review: Review; row: ReviewRow }
  /** The button no longer matches the row it was drawn for. */
  | { kind: 'stale'; review: Review }
  /** Only the account's approvers review; nobody reviews their own access. */
  | { kind: 'forbidden'; reason: 'not-approver' | 'own-row'; approverIds: readonly string[] }
  | { kind: 'unconfigured'; review: Review }
  /** The chosen end is outside what the account allows for a grant. */
  | { kind: 'too-long'; askedMs: number; maxMs: number }
  | { kind: 'too-short'; askedMs: number; minMs: number }
  /** Someone else is deciding on this review right now: try again. */
  | { kind: 'busy' };

/**
 * Where reviews live. Every write is conditional on the version its writer read (a new record is at 0), and never
 * made after the writer lost a lock it holds; an audit entry given with a write lands with it or not at all.
 */
export interface ReviewRepository {
  get(id: string): Promise<Review | undefined>;
  /** Writes the header; throws TransitionConflictError when it is no longer at `review.version`. */
  save(review: Review, audit?: ReviewAuditEntry): Promise<Review>;
  page(reviewId: string, page: number): Promise<ReviewPage | undefined>;
  /** Stores a new review's pages, all at once where the store allows; before its header, which makes them seen. */
  createPages(pages: readonly ReviewPage[]): Promise<void>;
  /** Writes a page of rows; throws TransitionConflictError when it is no longer at `page.version`. */
  savePage(page: ReviewPage, audit?: ReviewAuditEntry): Promise<ReviewPage>;
  /** The WABA's open review and last start (empty, at version 0, before the first review). */
  wabaReviews(wabaId: string): Promise<WabaReviews>;
  saveWabaReviews(wabaId: string, value: WabaReviews): Promise<WabaReviews>;
  /** Ids of reviews not closed. */
  openIds(): Promise<string[]>;
  setOpen(id: string, open: boolean): Promise<void>;
  /** Everything recorded about a review, oldest first. */
  auditOf(reviewId: string): Promise<ReviewAuditEntry[]>;
}

/** One review message and the page it shows, ready to draw. */
export interface ReviewView {
  message: ReviewMessage;
  page: ReviewPage;
}

/** Shows reviews to people; implemented by the Slack layer. */
export interface ReviewNotifier {
  /** Posts a new review, at its first page, where the account's approvers decide; returns where. */
  post(review: Review, first: ReviewPage): Promise<Array<{ channel: string; ts: string }>>;
  /** Redraws review messages in place, each at the page it shows. */
  show(review: Review, views: readonly ReviewView[]): Promise<void>;
  /** Reminds these approvers, once, of a review still open. */
  remind(review: Review, approverIds: string[]): Promise<void>;
  /** Posts the closing summary where the review was shown. */
  closed(review: Review, summary: ReviewSummary): Promise<void>;
}
