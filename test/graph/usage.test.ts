import { describe, expect, it } from 'vitest';
import { DEFAULT_HOLD_MS, parseUsageHeaders, UsageTracker } from '../../src/graph/usage.js';

const buc = (percent: number, regainMinutes = 0) => ({
  'x-business-use-case-usage': JSON.stringify({
    '555': [
      {
        type: 'whatsapp_business_management',
        call_count: percent,
        total_cputime: 1,
        total_time: 1,
        estimated_time_to_regain_access: regainMinutes,
      },
    ],
  }),
});

describe('parseUsageHeaders', () => {
  it('reads the business use-case header, taking the highest share and the estimate in minutes', () => {
    expect(parseUsageHeaders(buc(42, 3))).toEqual([
      { key: '555', type: 'whatsapp_business_management', percent: 42, regainAfterMs: 180_000 },
    ]);
  });

  it('reads the app header', () => {
    expect(parseUsageHeaders({ 'x-app-usage': '{"call_count":5,"total_time":91,"total_cputime":3}' })).toEqual([
      { key: 'app', percent: 91, regainAfterMs: 0 },
    ]);
  });

  it('ignores headers that are not JSON', () => {
    expect(parseUsageHeaders({ 'x-app-usage': 'nope', 'x-business-use-case-usage': '{"1": "x"}' })).toEqual([]);
  });
});

describe('UsageTracker', () => {
  it('does not hold below 90 %', () => {
    const tracker = new UsageTracker();
    tracker.record('waba', parseUsageHeaders(buc(89)), 0);
    expect(tracker.heldUntil('waba', 0)).toBe(0);
  });

  it('holds calls about a scope at 90 % until the estimate, or a default probe interval', () => {
    const tracker = new UsageTracker();
    tracker.record('waba', parseUsageHeaders(buc(90)), 1_000);
    expect(tracker.heldUntil('waba', 1_000)).toBe(1_000 + DEFAULT_HOLD_MS);
    tracker.record('waba', parseUsageHeaders(buc(100, 10)), 2_000);
    expect(tracker.heldUntil('waba', 2_000)).toBe(2_000 + 600_000);
    expect(tracker.heldUntil('other-waba', 2_000)).toBe(0);
    expect(tracker.heldUntil('waba', 2_000 + 600_001)).toBe(0);
  });

  it('releases the hold when usage falls', () => {
    const tracker = new UsageTracker();
    tracker.record('waba', parseUsageHeaders(buc(95)), 0);
    tracker.record('waba', parseUsageHeaders(buc(10)), 1);
    expect(tracker.heldUntil('waba', 1)).toBe(0);
  });

  it('holds every scope when the app as a whole is near its limit', () => {
    const tracker = new UsageTracker();
    tracker.record('waba', parseUsageHeaders({ 'x-app-usage': '{"call_count":97}' }), 0);
    expect(tracker.heldUntil('any-scope', 0)).toBe(DEFAULT_HOLD_MS);
  });

  it('holds a scope that was throttled without usage headers', () => {
    const tracker = new UsageTracker();
    tracker.holdScope('waba', 5_000);
    expect(tracker.heldUntil('waba', 0)).toBe(5_000);
    expect(tracker.heldUntil('other', 0)).toBe(0);
  });

  it('keeps the last readings for a scope and the app, with when they were reported, and the hold', () => {
    const tracker = new UsageTracker();
    expect(tracker.budget('waba', 0)).toEqual({ reports: [], heldUntil: 0 });
    tracker.record('waba', parseUsageHeaders({ ...buc(40), 'x-app-usage': '{"call_count":12}' }), 1_000);
    tracker.record('waba', parseUsageHeaders(buc(96, 5)), 2_000);
    tracker.record(
      'other-waba',
      parseUsageHeaders({ 'x-business-use-case-usage': '{"777":[{"call_count":3}]}' }),
      3_000,
    );
    expect(tracker.budget('waba', 2_500)).toEqual({
      reports: [
        { key: '555', type: 'whatsapp_business_management', percent: 96, reportedAt: 2_000 },
        { key: 'app', percent: 12, reportedAt: 1_000 },
      ],
      heldUntil: 2_000 + 300_000,
    });
    expect(tracker.budget('other-waba', 3_000).reports.map((report) => report.key)).toEqual(['777', 'app']);
  });
});
