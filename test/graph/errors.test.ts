import { describe, expect, it } from 'vitest';
import { categorize, GraphError } from '../../src/graph/errors.js';

describe('categorize', () => {
  it.each([
    [4, undefined, 'throttled'],
    [17, undefined, 'throttled'],
    [32, undefined, 'throttled'],
    [613, undefined, 'throttled'],
    [80007, undefined, 'throttled'],
    [80008, undefined, 'throttled'],
    [190, 463, 'auth'],
    [190, 467, 'auth'],
    [10, undefined, 'permission'],
    [200, undefined, 'permission'],
    [299, undefined, 'permission'],
    [3, undefined, 'permission'],
    [100, 33, 'not_found'],
    [803, undefined, 'not_found'],
    [100, undefined, 'invalid'],
    [2, undefined, 'transient'],
    [1, undefined, 'transient'],
    [12345, undefined, 'unknown'],
  ] as const)('code %s subcode %s is %s', (code, subcode, category) => {
    expect(categorize(code, subcode)).toBe(category);
  });

  it('trusts is_transient for codes it does not know', () => {
    expect(categorize(12345, undefined, true)).toBe('transient');
  });

  it('classifies a throttle sent as HTTP 400 OAuthException by its code, not its status', () => {
    const error = GraphError.fromBody({ message: 'Rate limited', type: 'OAuthException', code: 80008 }, 400);
    expect(error.category).toBe('throttled');
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(400);
  });

  it('keeps every field Meta sends', () => {
    const error = GraphError.fromBody(
      {
        message: 'Invalid OAuth access token',
        type: 'OAuthException',
        code: 190,
        error_subcode: 463,
        fbtrace_id: 'Atrace',
        is_transient: false,
        error_user_title: 'Session expired',
        error_user_msg: 'Log in again',
      },
      401,
    );
    expect(error).toMatchObject({
      category: 'auth',
      code: 190,
      subcode: 463,
      type: 'OAuthException',
      fbtraceId: 'Atrace',
      isTransient: false,
      userTitle: 'Session expired',
      userMessage: 'Log in again',
      status: 401,
    });
    expect(error.retryable).toBe(false);
  });
});
