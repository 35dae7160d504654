import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay on loopback to a service the bot uses (Redis, the fake Graph), which a test can sever to make the
 * service unreachable without stopping it (others may share it) and restore later.
 */
export class Relay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private severed = false;
  port = 0;

  constructor(private readonly target: { hostname: string; port: number }) {}

  async start(): Promise<this> {
    this.server = createServer((client) => {
      if (this.severed) return client.destroy();
      const upstream = connect(this.target.port, this.target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => this.sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** Drops every connection, and every new one until `restore`. */
  sever(): void {
    this.severed = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.severed = false;
  }

  async stop(): Promise<void> {
    this.sever();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
