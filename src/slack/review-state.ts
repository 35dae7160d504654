import type { RowRef } from '../access/review.js';
import { isMetaId } from '../graph/ids.js';

/** A row's place, as its buttons carry it: `review:page:index:meta-user`. */
export function encodeRowRef(ref: RowRef): string {
  return `${ref.reviewId}:${ref.page}:${ref.index}:${ref.userId}`;
}

/** The row a button or form names; undefined for anything that is not one. */
export function decodeRowRef(value: string | undefined): RowRef | undefined {
  const match = /^([A-Za-z0-9_-]{1,64}):(\d{1,6}):(\d{1,3}):([^:]+)$/.exec(value ?? '');
  if (!match || !isMetaId(match[4]!)) return undefined;
  return { reviewId: match[1]!, page: Number(match[2]), index: Number(match[3]), userId: match[4]! };
}

/** Where a page button goes: `review:page`. */
export function decodePageRef(value: string | undefined): { reviewId: string; page: number } | undefined {
  const match = /^([A-Za-z0-9_-]{1,64}):(\d{1,6})$/.exec(value ?? '');
  return match ? { reviewId: match[1]!, page: Number(match[2]) } : undefined;
}
