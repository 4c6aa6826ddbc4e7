// A small TCP proxy on loopback between workspaces and the central, for
// partition drills and slow links: it passes bytes through (after an added
// delay and within a bandwidth limit, when set), or blackholes them
// (connections stay open, nothing arrives either way), or resets every
// connection.

import net, { type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Bytes in both directions are dropped while on; open connections stay open. */
  blackhole(on: boolean): void;
  /** Destroys every open connection (the peers see a reset). */
  reset(): void;
  /** Adds this round-trip time (half each way) to every byte, keeping their order. */
  latency(rttMs: number): void;
  /** Limits each direction of each connection to this many bytes a second (0: no limit). */
  bandwidth(bytesPerSecond: number): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let dropping = false;
  let oneWayMs = 0;
  let bytesPerSecond = 0;
  const open = new Set<Socket>();
  /** Forwards chunks to `to` after the delay and within the bandwidth, in order. */
  const pipe = (to: Socket): ((d: Buffer) => void) => {
    let free = 0; // when the link is next free to send (ms)
    return (d) => {
      if (dropping) return;
      if (oneWayMs === 0 && bytesPerSecond === 0) { to.write(d); return; }
      const now = Date.now();
      const at = Math.max(now + oneWayMs, free);
      free = at + (bytesPerSecond > 0 ? (d.length / bytesPerSecond) * 1000 : 0);
      setTimeout(() => { if (!to.destroyed) to.write(d); }, Math.max(0, at - now));
    };
  };
  const server: Server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    client.on('data', pipe(upstream));
    upstream.on('data', pipe(client));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    port: address.port,
    blackhole: (on) => { dropping = on; },
    reset: () => { for (const s of open) s.destroy(); },
    latency: (rttMs) => { oneWayMs = Math.max(0, rttMs / 2); },
    bandwidth: (bps) => { bytesPerSecond = Math.max(0, bps); },
    close: () => new Promise<void>((resolve) => {
      for (const s of open) s.destroy();
      server.close(() => resolve());
    }),
  };
}
