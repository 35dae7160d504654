import type { RequestRepository } from '../../src/access/ports.js';
import type { AccessRequest, Pending } from '../../src/access/request.js';

export const at = new Date('2026-01-01T10:00:00Z');
export const later = new Date('2026-01-01T11:00:00Z');

/** A pending grant of MESSAGING to a user who has MANAGE; override what a test needs. */
export function pendingRequest(overrides: Partial<Pending> = {}): Pending {
  return {
    id: 'r1',
    state: 'pending',
    kind: 'grant',
    wabaId: '1',
    targetUserId: '2',
    tasks: ['MESSAGING'],
    currentTasks: ['MANAGE'],
    afterTasks: ['MANAGE', 'MESSAGING'],
    requesterId: 'ULEAD',
    originChannelId: 'CTEAM',
    createdAt: at.toISOString(),
    expiresAt: later.toISOString(),
    approvalMessages: [],
    decisions: [],
    updatedAt: at.toISOString(),
    ...overrides,
  };
}

/** Stores `next` as a crash or another process would have left it: a transition from the version it was read at. */
export function storeAs<T extends AccessRequest>(repository: RequestRepository, next: T): Promise<T> {
  return repository.transition(next, { expectedVersion: next.version ?? 0 });
}
