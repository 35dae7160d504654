import { performance } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AccessMetrics } from '../access/ports.js';
import { accessRequestSchema, type RequestState } from '../access/request.js';
import type { Sweeps } from '../access/use-cases/sweeps.js';
import type { GraphCallRecord } from '../graph/transport.js';
import type { BudgetState } from '../graph/usage.js';

/** What the scrape-time gauges read: all of it in memory, or one bounded store read (never a Graph call). */
export interface MetricSources {
  /** The accounts configured now (they change when the policy file is reloaded). */
  accounts(): Array<{ alias: string; wabaId: string }>;
  /** Meta's last usage readings for calls about a WABA, and any hold, as this process knows them. */
  budget(wabaId: string): BudgetState;
  /** Open requests and live grants, counted by the store's indexes. */
  counts(): Promise<{ openRequests: number; liveGrants: number }>;
  now(): number;
}

const PREFIX = 'waba_access_';
/** A scrape waits this long for the store's counts; past it the gauges read NaN (unknown), and the scrape goes on. */
const COUNTS_BUDGET_MS = 1_000;
/** Meta's error codes are a short list; past this many distinct ones a code is counted as `other`. */
const MAX_ERROR_CODES = 40;
/** The kinds of Slack request this app is sent; anything else is counted as `other`. */
const ACK_KINDS = new Set([
  'command',
  'block_actions',
  'block_suggestion',
  'view_submission',
  'view_closed',
  'event_callback',
  'url_verification',
  'ssl_check',
]);
const REQUEST_STATES: RequestState[] = accessRequestSchema.options.map((option) => option.shape.state.value);

let processRegistry: Registry | undefined;
/**
 * Node's process metrics (memory, CPU, event loop lag, GC), collected once per process: they describe the process,
 * and each collection keeps observers and a timer running for good.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * The bot's Prometheus metrics, in a registry of its own (so several bots in one process, as in tests, keep
 * theirs apart), served with Node's process metrics. Labels are bounded: states, outcomes, edges and Meta's error
 * codes are fixed sets, accounts come from the policy; no person's id ever becomes a label.
 */
export class BotMetrics implements AccessMetrics {
  readonly registry = new Registry();
  private sources?: MetricSources;
  /** The store's counts as read for the scrape under way. */
  private counts?: { openRequests: number; liveGrants: number };
  private readonly errorCodes = new Set<string>();

  private readonly requests = new Counter({
    name: `${PREFIX}requests_total`,
    help: 'Requests that entered each state: pending counts requests filed, executing each attempt on Graph.',
    labelNames: ['state'],
    registers: [this.registry],
  });

  private readonly decisions = new Counter({
    name: `${PREFIX}decisions_total`,
    help: 'Clicks on Approve, Deny and Retry, by how they ended (done, progress, forbidden, already...).',
    labelNames: ['decision', 'outcome'],
    registers: [this.registry],
  });

  private readonly graphCalls = new Counter({
    name: `${PREFIX}graph_calls_total`,
    help: "Requests sent to Meta's Graph API (each retry counts), by edge and Meta's error code (none: success).",
    labelNames: ['method', 'edge', 'error_code'],
    registers: [this.registry],
  });

  private readonly graphDuration = new Histogram({
    name: `${PREFIX}graph_call_duration_seconds`,
    help: 'How long each request to the Graph API took, until its answer was read.',
    labelNames: ['method', 'edge'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly acks = new Histogram({
    name: `${PREFIX}ack_duration_seconds`,
    help: 'From a Slack request reaching the server to its answer (Slack gives up after 3 s), by kind of request.',
    labelNames: ['kind'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
    registers: [this.registry],
  });

  private readonly sweeps = new Histogram({
    name: `${PREFIX}sweep_duration_seconds`,
    help: 'How long each background sweep took: recover, expire_requests, expire_grants, remind, notice_expiring, remind_break_glass.',
    labelNames: ['sweep'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
    registers: [this.registry],
  });

  constructor() {
    for (const state of REQUEST_STATES) this.requests.inc({ state }, 0);
    const metrics = this;
    new Gauge({
      name: `${PREFIX}meta_usage_ratio`,
      help: "Meta's business use-case usage for calls about each WABA (0 to 1), as Meta last reported it to this process.",
      labelNames: ['account', 'waba_id'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { account, budget } of metrics.budgets()) {
          const business = budget.reports.filter((report) => report.key !== 'app');
          if (business.length === 0) continue;
          this.set(account, Math.max(...business.map((report) => report.percent)) / 100);
        }
      },
    });
    new Gauge({
      name: `${PREFIX}meta_app_usage_ratio`,
      help: "Meta's usage of the app's own budget (X-App-Usage, 0 to 1), as last reported to this process; NaN before.",
      registers: [this.registry],
      collect() {
        const app = metrics
          .budgets()
          .flatMap(({ budget }) => budget.reports)
          .find((report) => report.key === 'app');
        this.set(app ? app.percent / 100 : Number.NaN);
      },
    });
    new Gauge({
      name: `${PREFIX}graph_calls_held`,
      help: "1 while new Graph calls about the WABA are held because Meta's usage is high or it throttled us, else 0.",
      labelNames: ['account', 'waba_id'],
      registers: [this.registry],
      collect() {
        this.reset();
        const now = metrics.sources?.now() ?? Date.now();
        for (const { account, budget } of metrics.budgets()) this.set(account, budget.heldUntil > now ? 1 : 0);
      },
    });
    new Gauge({
      name: `${PREFIX}open_requests`,
      help: 'Requests not yet finished (pending, approved or executing), from the store; NaN when it did not answer.',
      registers: [this.registry],
      collect() {
        this.set(metrics.counts?.openRequests ?? Number.NaN);
      },
    });
    new Gauge({
      name: `${PREFIX}live_grants`,
      help: 'Temporary grants not yet ended, from the store; NaN when it did not answer.',
      registers: [this.registry],
      collect() {
        this.set(metrics.counts?.liveGrants ?? Number.NaN);
      },
    });
  }

  /** Connects the gauges that are read at scrape time, once the accounts, Graph client and store exist. */
  watch(sources: MetricSources): void {
    this.sources = sources;
  }

  /** The scrape: Prometheus' text format. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    this.counts = await this.readCounts();
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return { contentType: this.registry.contentType, body: `${own}\n${process}` };
  }

  stateEntered(state: RequestState): void {
    this.requests.inc({ state });
  }

  decided(decision: 'approve' | 'deny' | 'retry', outcome: string): void {
    this.decisions.inc({ decision, outcome });
  }

  /** For the Graph client's `observe`. */
  graphCall(call: GraphCallRecord): void {
    this.graphCalls.inc({ method: call.method, edge: call.edge, error_code: this.boundedCode(call.errorCode) });
    this.graphDuration.observe({ method: call.method, edge: call.edge }, call.seconds);
  }

  /** A Slack request (as parsed) was answered `seconds` after it reached the server. */
  acked(body: Record<string, unknown>, seconds: number): void {
    this.acks.observe({ kind: ackKind(body) }, seconds);
  }

  /** The same sweeps, each timed into `waba_access_sweep_duration_seconds` (failures too). */
  timed(sweeps: Sweeps): Sweeps {
    const time =
      (name: string, sweep: () => Promise<number>): (() => Promise<number>) =>
      () => {
        const started = performance.now();
        return sweep().finally(() => this.sweeps.observe({ sweep: name }, (performance.now() - started) / 1000));
      };
    return {
      recover: time('recover', () => sweeps.recover()),
      expireDue: time('expire_requests', () => sweeps.expireDue()),
      expireGrants: time('expire_grants', () => sweeps.expireGrants()),
      remindDue: time('remind', () => sweeps.remindDue()),
      noticeExpiring: time('notice_expiring', () => sweeps.noticeExpiring()),
      remindReviews: time('remind_break_glass', () => sweeps.remindReviews()),
    };
  }

  private budgets(): Array<{ account: { account: string; waba_id: string }; budget: BudgetState }> {
    const sources = this.sources;
    if (!sources) return [];
    return sources.accounts().map(({ alias, wabaId }) => ({
      account: { account: alias, waba_id: wabaId },
      budget: sources.budget(wabaId),
    }));
  }

  /** The count read under way, shared by scrapes that come while it runs. */
  private counting?: Promise<{ openRequests: number; liveGrants: number } | undefined>;

  private async readCounts(): Promise<{ openRequests: number; liveGrants: number } | undefined> {
    if (!this.sources) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), COUNTS_BUDGET_MS);
    });
    // One read at a time: a store that hangs past the budget is not asked again by every scrape meanwhile.
    this.counting ??= this.sources
      .counts()
      .catch(() => undefined)
      .finally(() => {
        this.counting = undefined;
      });
    return Promise.race([this.counting, late]).finally(() => clearTimeout(timer));
  }

  private boundedCode(code: string): string {
    if (this.errorCodes.has(code)) return code;
    if (this.errorCodes.size >= MAX_ERROR_CODES) return 'other';
    this.errorCodes.add(code);
    return code;
  }
}

/** The kind of a Slack request as Slack sends it: a command, or its payload's `type`. */
function ackKind(body: Record<string, unknown>): string {
  if (typeof body.command === 'string') return 'command';
  if (body.ssl_check !== undefined) return 'ssl_check';
  return typeof body.type === 'string' && ACK_KINDS.has(body.type) ? body.type : 'other';
}
