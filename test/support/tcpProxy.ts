import net from 'node:net';

/**
 * A TCP proxy in front of a real database server, so a test can cut the network and restore it
 * (`stop`/`start`: connections refused), or make the server stop answering (`blackhole`/`restore`:
 * connections accepted, nothing forwarded either way, as behind a dead host or a dropping firewall).
 */
export class TcpProxy {
  private server?: net.Server;
  private sockets = new Set<net.Socket>();
  private silent = false;
  port = 0;

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  async start(): Promise<number> {
    this.server = net.createServer((client) => {
      this.track(client);
      if (this.silent) return;
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.track(upstream);
      for (const s of [client, upstream])
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
  }

  /** The server stops answering: open connections forward nothing more, new ones are accepted and left hanging. */
  blackhole(): void {
    this.silent = true;
    for (const s of this.sockets) {
      s.unpipe();
      s.removeAllListeners('data');
      s.pause();
    }
  }

  /** Back to normal: the hanging connections are reset (their protocol state is lost), new ones reach the server. */
  restore(): void {
    this.silent = false;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Closes the listener and every open connection: the source is down. */
  async stop(): Promise<void> {
    this.silent = false;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }
}
