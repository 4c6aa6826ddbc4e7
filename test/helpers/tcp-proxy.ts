// A small TCP proxy on loopback between workspaces and the central, for
// partition drills: it passes bytes through, or blackholes them (connections
// stay open, nothing arrives either way), or resets every connection.

import net, { type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Bytes in both directions are dropped while on; open connections stay open. */
  blackhole(on: boolean): void;
  /** Destroys every open connection (the peers see a reset). */
  reset(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let dropping = false;
  const open = new Set<Socket>();
  const server: Server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    client.on('data', (d) => { if (!dropping) upstream.write(d); });
    upstream.on('data', (d) => { if (!dropping) client.write(d); });
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
    close: () => new Promise<void>((resolve) => {
      for (const s of open) s.destroy();
      server.close(() => resolve());
    }),
  };
}
