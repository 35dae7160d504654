/**
 * Meta's usage headers and the holds they imply.
 *
 * `X-Business-Use-Case-Usage`: `{"<business-id>": [{type, call_count, total_cputime, total_time,
 * estimated_time_to_regain_access}]}`, percentages 0–100, the estimate in minutes.
 * `X-App-Usage`: `{call_count, total_cputime, total_time}` for the whole app.
 * Calling while throttled extends Meta's lockout, so at or above the threshold new calls wait.
 */

const MINUTE_MS = 60_000;

/** Above this share of any budget, new calls are held until access is regained. */
export const USAGE_HOLD_THRESHOLD = 90;

/** How long to hold when usage is high but Meta gives no estimate: one probe call then refreshes the headers. */
export const DEFAULT_HOLD_MS = 60_000;

export interface UsageReading {
  /** The business (or `app`) the reading is about. */
  key: string;
  /** The business use case, e.g. `whatsapp_business_management`; unset for the app header. */
  type?: string;
  percent: number;
  regainAfterMs: number;
}

/** A reading as last reported, and when. */
export interface UsageReport {
  key: string;
  type?: string;
  /** The highest of call count, CPU time and total time, 0–100. */
  percent: number;
  /** When the response carrying it arrived (epoch ms). */
  reportedAt: number;
}

/** What is known of the budget for calls about one object: the last readings, and any hold. */
export interface BudgetState {
  /** The business use-case readings first, the app's last. */
  reports: UsageReport[];
  /** The moment calls may go out again, or 0 when they may go now. */
  heldUntil: number;
}

function numberOr0(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function peakPercent(entry: Record<string, unknown>): number {
  return Math.max(numberOr0(entry.call_count), numberOr0(entry.total_cputime), numberOr0(entry.total_time));
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function parseUsageHeaders(headers: Record<string, string | string[] | undefined>): UsageReading[] {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const readings: UsageReading[] = [];

  const business = parseJson(header('x-business-use-case-usage'));
  if (business && typeof business === 'object') {
    for (const [key, entries] of Object.entries(business as Record<string, unknown>)) {
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        if (!entry || typeof entry !== 'object') continue;
        const record = entry as Record<string, unknown>;
        readings.push({
          key,
          ...(typeof record.type === 'string' ? { type: record.type } : {}),
          percent: peakPercent(record),
          regainAfterMs: numberOr0(record.estimated_time_to_regain_access) * MINUTE_MS,
        });
      }
    }
  }

  const app = parseJson(header('x-app-usage'));
  if (app && typeof app === 'object') {
    readings.push({ key: 'app', percent: peakPercent(app as Record<string, unknown>), regainAfterMs: 0 });
  }
  return readings;
}

/** Remembers, per business and for the app as a whole, until when new calls must wait. */
export class UsageTracker {
  private readonly holds = new Map<string, number>();
  /** Which usage keys the calls about one object (a WABA, a user) have reported. */
  private readonly scopeKeys = new Map<string, Set<string>>();
  /** The last reading per key and use case, kept to show people how close each budget is. */
  private readonly reports = new Map<string, UsageReport>();

  constructor(private readonly defaultHoldMs = DEFAULT_HOLD_MS) {}

  record(scope: string, readings: UsageReading[], now: number): void {
    for (const reading of readings) {
      this.reports.set(`${reading.key}\u0000${reading.type ?? ''}`, {
        key: reading.key,
        ...(reading.type === undefined ? {} : { type: reading.type }),
        percent: reading.percent,
        reportedAt: now,
      });
      if (reading.key !== 'app') {
        let keys = this.scopeKeys.get(scope);
        if (!keys) {
          keys = new Set();
          this.scopeKeys.set(scope, keys);
        }
        keys.add(reading.key);
      }
      const throttled = reading.regainAfterMs > 0;
      if (reading.percent >= USAGE_HOLD_THRESHOLD || throttled) {
        const holdMs = throttled ? reading.regainAfterMs : this.defaultHoldMs;
        this.holds.set(reading.key, Math.max(this.holds.get(reading.key) ?? 0, now + holdMs));
      } else {
        this.holds.delete(reading.key);
      }
    }
  }

  /** Marks a scope as locked out until `until` (a throttle error without usage headers). */
  holdScope(scope: string, until: number): void {
    const keys = this.scopeKeys.get(scope);
    const targets = keys && keys.size > 0 ? [...keys] : [`scope:${scope}`];
    for (const key of targets) this.holds.set(key, Math.max(this.holds.get(key) ?? 0, until));
  }

  /** The moment calls about `scope` may go out again, or 0 when they may go now. */
  heldUntil(scope: string, now: number): number {
    const keys = ['app', `scope:${scope}`, ...(this.scopeKeys.get(scope) ?? [])];
    let until = 0;
    for (const key of keys) {
      const hold = this.holds.get(key) ?? 0;
      if (hold > now) until = Math.max(until, hold);
    }
    return until;
  }

  /** The last readings reported for calls about `scope` (and for the app), and until when calls are held. */
  budget(scope: string, now: number): BudgetState {
    const keys = this.scopeKeys.get(scope) ?? new Set<string>();
    const reports = [...this.reports.values()].filter((report) => keys.has(report.key));
    const app = [...this.reports.values()].filter((report) => report.key === 'app');
    return { reports: [...reports, ...app], heldUntil: this.heldUntil(scope, now) };
  }
}
