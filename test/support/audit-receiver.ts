import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** One POST as the receiver saw it. */
export interface Delivery {
  id: string;
  idempotencyKey: string;
  timestamp: string;
  signatureValid: boolean;
  body: string;
  status: number;
}

/**
 * A webhook receiver on loopback that can be down (nothing listening: connection refused), answer 500, or answer
 * slowly. It checks each signature as the README tells receivers to.
 */
export class AuditReceiver {
  /** Every POST that reached it, whatever it answered. */
  readonly deliveries: Delivery[] = [];
  /** Answer 500 to this many of the next POSTs. */
  failNext = 0;
  /** Wait this long before answering. */
  delayMs = 0;
  /** POSTs received and not yet answered. */
  inFlight = 0;
  private server?: Server;

  constructor(
    readonly port: number,
    private readonly secret: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/audit`;
  }

  /** The POSTs it answered 2xx, in the order they came. */
  accepted(): Delivery[] {
    return this.deliveries.filter((delivery) => delivery.status === 200);
  }

  async up(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.receive(req).then((status) => res.writeHead(status).end(status === 200 ? 'ok' : 'try later'));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', resolve);
    });
  }

  async down(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  private async receive(req: IncomingMessage): Promise<number> {
    this.inFlight++;
    try {
      return await this.answer(req);
    } finally {
      this.inFlight--;
    }
  }

  private async answer(req: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const timestamp = String(req.headers['x-waba-audit-timestamp'] ?? '');
    const expected = `sha256=${createHmac('sha256', this.secret).update(`${timestamp}.${body}`).digest('hex')}`;
    const given = String(req.headers['x-waba-audit-signature'] ?? '');
    const signatureValid =
      given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
    if (this.delayMs > 0) await sleep(this.delayMs);
    const status = this.failNext > 0 ? 500 : 200;
    if (this.failNext > 0) this.failNext--;
    this.deliveries.push({
      id: String(req.headers['x-waba-audit-id'] ?? ''),
      idempotencyKey: String(req.headers['idempotency-key'] ?? ''),
      timestamp,
      signatureValid,
      body,
      status,
    });
    return status;
  }
}
