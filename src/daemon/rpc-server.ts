// The daemon's socket server: newline-delimited JSON frames (src/transport/
// rpc-codec.ts) on a unix socket only this user can open. Bad input never
// crashes or wedges it:
// - a frame that is not JSON, not a request, names an unknown method or has
//   wrong params gets an error reply with GRAVA_E_PROTOCOL, and the
//   connection goes on;
// - a frame over 1 MiB gets an error reply and the connection is closed;
// - a connection idle (or stalled half-way through a frame) longer than the
//   frame timeout, with nothing in flight, is closed;
// - a client that goes away mid-request just loses its reply;
// - at most `maxConnections` connections at once.

import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';
import { GravaError, asGravaError } from '../errors/grava-error.js';
import { asRequest, encodeFrame, FrameDecoder, MAX_FRAME_BYTES, type RpcReply, type RpcRequest } from '../transport/rpc-codec.js';
import type { Logger } from './log.js';
import type { Service } from './service.js';

export interface RpcServerOptions {
  readonly socketPath: string;
  readonly handle: (req: RpcRequest) => Promise<unknown>;
  readonly log: Logger;
  readonly maxConnections?: number;
  readonly frameTimeoutMs?: number;
  readonly maxFrameBytes?: number;
}

export class RpcServer implements Service {
  readonly name = 'rpc';
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly inflight = new Set<Promise<void>>();
  private accepting = true;
  private done: (() => void) | undefined;
  private requests = 0;

  constructor(private readonly o: RpcServerOptions) {}

  get stats(): { connections: number; inflight: number; requests: number } {
    return { connections: this.sockets.size, inflight: this.inflight.size, requests: this.requests };
  }

  /** Listens; resolves once listening (the returned promise of `run` resolves at stop). */
  listen(): Promise<void> {
    rmSync(this.o.socketPath, { force: true }); // stale, from a crash: the caller holds the daemon lock
    const server = createServer((socket) => this.accept(socket));
    server.maxConnections = this.o.maxConnections ?? 100;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.socketPath, () => {
        server.off('error', reject);
        server.on('error', (e) => this.o.log.error({ err: e.message }, 'socket server error'));
        chmodSync(this.o.socketPath, 0o600);
        resolve();
      });
    });
  }

  run(): Promise<void> {
    return new Promise((resolve) => { this.done = resolve; });
  }

  /** Stops accepting, lets in-flight requests finish and reply, then closes every connection. */
  async stop(): Promise<void> {
    this.accepting = false;
    // close() stops new connections at once but calls back only when every open one has ended.
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    for (const s of this.sockets) s.end();
    await new Promise((r) => setTimeout(r, 20));
    for (const s of this.sockets) s.destroy();
    await closed;
    rmSync(this.o.socketPath, { force: true });
    this.done?.();
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const decoder = new FrameDecoder(this.o.maxFrameBytes ?? MAX_FRAME_BYTES);
    let mine = 0;
    socket.setTimeout(this.o.frameTimeoutMs ?? 30_000);
    socket.on('timeout', () => { if (mine === 0) socket.destroy(); });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      for (const d of decoder.push(chunk)) {
        if (d.kind === 'oversized') {
          this.reply(socket, { id: null, error: new GravaError('GRAVA_E_PROTOCOL', `frame over ${this.o.maxFrameBytes ?? MAX_FRAME_BYTES} bytes; connection closed`).toJSON() });
          socket.end();
          setTimeout(() => socket.destroy(), 100).unref();
          return;
        }
        if (d.kind === 'bad-json') {
          this.reply(socket, { id: null, error: new GravaError('GRAVA_E_PROTOCOL', 'a frame is not valid JSON').toJSON() });
          continue;
        }
        const req = asRequest(d.value);
        if (typeof req === 'string') {
          const rawId = (d.value as { id?: unknown } | null)?.id;
          this.reply(socket, { id: typeof rawId === 'number' || typeof rawId === 'string' ? rawId : null, error: new GravaError('GRAVA_E_PROTOCOL', req).toJSON() });
          continue;
        }
        mine++;
        const p = this.serve(socket, req).finally(() => { mine--; this.inflight.delete(p); });
        this.inflight.add(p);
      }
    });
  }

  private async serve(socket: Socket, req: RpcRequest): Promise<void> {
    this.requests++;
    let reply: RpcReply;
    try {
      if (!this.accepting) throw new GravaError('GRAVA_E_SHUTTING_DOWN', 'the daemon is stopping; retry in a moment');
      reply = { id: req.id, result: (await this.o.handle(req)) ?? null };
    } catch (e) {
      const err = asGravaError(e);
      if (err.code === 'GRAVA_E_INTERNAL') this.o.log.error({ method: req.method, err: err.message }, 'request failed');
      reply = { id: req.id, error: err.toJSON() };
    }
    this.reply(socket, reply);
  }

  private reply(socket: Socket, reply: RpcReply): void {
    if (socket.destroyed || !socket.writable) return;
    socket.write(encodeFrame(reply));
  }
}
