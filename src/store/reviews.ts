import type Keyv from 'keyv';
import { LockLostError, TransitionConflictError } from '../access/ports.js';
import {
  type Review,
  type ReviewAuditEntry,
  type ReviewPage,
  type ReviewRepository,
  reviewPageSchema,
  reviewSchema,
  type WabaReviews,
  wabaReviewsSchema,
} from '../access/review.js';
import { GLOBAL_CHAIN } from '../audit/chain.js';
import { assertLocksHeld, redisFences } from './held-locks.js';
import { type IdIndex, RedisIdIndex, type RedisSetClient, SnapshotIdIndex } from './id-index.js';
import type { AuditWrite, RequestRecords } from './request-records.js';

const headerId = (id: string) => `review:${id}`;
const pageId = (id: string, page: number) => `review:${id}:page:${page}`;
const wabaId = (id: string) => `waba:${id}`;
const OPEN_INDEX = 'open-reviews';

/** The open-reviews index of a store one process owns (SQLite, memory). */
export function snapshotReviewIndex(keyv: Keyv): IdIndex {
  return new SnapshotIdIndex(keyv, OPEN_INDEX);
}

/** The open-reviews index shared through Redis. */
export function redisReviewIndex(client: RedisSetClient, prefix: string): IdIndex {
  return new RedisIdIndex(client, `${prefix}${OPEN_INDEX}`);
}

/**
 * Reviews in versioned records (the same conditional writes requests use, in records of their own): a header per
 * review, a record per page of rows, and one per WABA saying which review is open there. A row's decision is a
 * conditional write of its page with the audit entry in the same write, so it lands once however many clicks race.
 */
export class RecordsReviewRepository implements ReviewRepository {
  /** Each review's account, for its audit entries' chain: it never changes, so it is kept once seen. */
  private readonly accounts = new Map<string, { wabaId: string; alias: string }>();

  constructor(
    private readonly records: RequestRecords,
    private readonly open: IdIndex,
  ) {}

  async get(id: string): Promise<Review | undefined> {
    const stored = await this.records.read(headerId(id));
    const review = stored && { ...reviewSchema.parse(JSON.parse(stored.body)), version: stored.version };
    if (review) this.accounts.set(id, { wabaId: review.wabaId, alias: review.accountAlias });
    return review;
  }

  async save(review: Review, audit?: ReviewAuditEntry): Promise<Review> {
    const { version, ...body } = reviewSchema.parse(review);
    this.accounts.set(review.id, { wabaId: review.wabaId, alias: review.accountAlias });
    return { ...review, version: await this.write(headerId(review.id), version ?? 0, body, audit) };
  }

  async page(reviewId: string, page: number): Promise<ReviewPage | undefined> {
    const stored = await this.records.read(pageId(reviewId, page));
    return stored && { ...reviewPageSchema.parse(JSON.parse(stored.body)), version: stored.version };
  }

  async createPages(pages: readonly ReviewPage[]): Promise<void> {
    assertLocksHeld();
    await this.records.createAll(
      pages.map((page) => {
        const { version: _version, ...body } = reviewPageSchema.parse(page);
        return { id: pageId(page.reviewId, page.page), body: JSON.stringify(body) };
      }),
    );
  }

  async savePage(page: ReviewPage, audit?: ReviewAuditEntry): Promise<ReviewPage> {
    const { version, ...body } = reviewPageSchema.parse(page);
    return { ...page, version: await this.write(pageId(page.reviewId, page.page), version ?? 0, body, audit) };
  }

  async wabaReviews(id: string): Promise<WabaReviews> {
    const stored = await this.records.read(wabaId(id));
    return stored ? { ...wabaReviewsSchema.parse(JSON.parse(stored.body)), version: stored.version } : { version: 0 };
  }

  async saveWabaReviews(id: string, value: WabaReviews): Promise<WabaReviews> {
    const { version, ...body } = wabaReviewsSchema.parse(value);
    return { ...value, version: await this.write(wabaId(id), version ?? 0, body) };
  }

  openIds(): Promise<string[]> {
    return this.open.members();
  }

  setOpen(id: string, open: boolean): Promise<void> {
    return open ? this.open.add(id) : this.open.remove(id);
  }

  async auditOf(reviewId: string): Promise<ReviewAuditEntry[]> {
    const review = await this.get(reviewId);
    const ids = [headerId(reviewId)];
    for (let page = 0; page < (review?.pages ?? 0); page++) ids.push(pageId(reviewId, page));
    const entries: ReviewAuditEntry[] = [];
    for (const id of ids) {
      for (const entry of await this.records.auditOf(id)) entries.push(JSON.parse(entry) as ReviewAuditEntry);
    }
    return entries.sort((a, b) => a.at.localeCompare(b.at));
  }

  private async write(id: string, expected: number, body: object, audit?: ReviewAuditEntry): Promise<number> {
    assertLocksHeld();
    const outcome = await this.records.write(
      id,
      expected,
      JSON.stringify(body),
      audit ? await this.chained(audit) : undefined,
      redisFences(),
    );
    if (outcome.kind === 'conflict') throw new TransitionConflictError(id, expected, outcome.found);
    if (outcome.kind === 'lock-lost') throw new LockLostError(outcome.redisKey);
    return outcome.version;
  }

  /** The entry in the review's own log, and in its account's audit chain. */
  private async chained(audit: ReviewAuditEntry): Promise<AuditWrite> {
    if (!this.accounts.has(audit.reviewId)) await this.get(audit.reviewId);
    const account = this.accounts.get(audit.reviewId);
    const about = [`review ${audit.reviewId}`, audit.userId && `user ${audit.userId}`].filter(Boolean).join(', ');
    return {
      entry: JSON.stringify(audit),
      chain: {
        chain: account?.wabaId ?? GLOBAL_CHAIN,
        facts: {
          at: audit.at,
          actor: audit.actor,
          event: audit.event.startsWith('review-') ? audit.event : `review-${audit.event}`,
          ...(account ? { account: account.alias } : {}),
          detail: audit.detail ? `${about}: ${audit.detail}` : about,
        },
      },
    };
  }
}
