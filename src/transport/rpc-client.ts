// The client side of the daemon's socket protocol: one connection, requests
// matched to replies by id. Errors come back as GravaErrors with the daemon's
// codes; a daemon that is not there is GRAVA_E_DAEMON with data.notRunning.

import { connect, type Socket } from 'node:net';
import { GravaError, type GravaErrorJson } from '../errors/grava-error.js';
import { encodeFrame, FrameDecoder } from './rpc-codec.js';

interface Pending {
  resolve(value: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout | undefined;
}

export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly decoder = new FrameDecoder(64 * 1024 * 1024);
  private closed: Error | undefined;

  private constructor(private readonly socket: Socket, private readonly version: string | undefined) {
    socket.on('data', (chunk: Buffer) => {
      for (const d of this.decoder.push(chunk)) {
        if (d.kind !== 'frame') continue;
        const reply = d.value as { id?: number; result?: unknown; error?: GravaErrorJson };
        const p = typeof reply.id === 'number' ? this.pending.get(reply.id) : undefined;
        if (!p) continue;
        this.pending.delete(reply.id as number);
        if (p.timer) clearTimeout(p.timer);
        if (reply.error) p.reject(GravaError.fromJSON(reply.error));
        else p.resolve(reply.result);
      }
    });
    const fail = (e: Error): void => {
      this.closed ??= e;
      for (const p of this.pending.values()) { if (p.timer) clearTimeout(p.timer); p.reject(e); }
      this.pending.clear();
    };
    socket.on('error', (e) => fail(new GravaError('GRAVA_E_DAEMON', `the daemon connection failed: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    socket.on('close', () => fail(new GravaError('GRAVA_E_DAEMON', 'the daemon closed the connection before answering')));
  }

  static connect(path: string, opts: { timeoutMs?: number; version?: string } = {}): Promise<RpcClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ path });
      const timer = setTimeout(() => { socket.destroy(); reject(new GravaError('GRAVA_E_DAEMON', `the daemon did not accept a connection in ${opts.timeoutMs ?? 2_000} ms`, { notRunning: true })); }, opts.timeoutMs ?? 2_000);
      socket.once('connect', () => { clearTimeout(timer); resolve(new RpcClient(socket, opts.version)); });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new GravaError('GRAVA_E_DAEMON', `no daemon answers on ${path} (${e.code ?? e.message})`, { notRunning: true }));
      });
    });
  }

  call(method: string, params: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => {
        this.pending.delete(id);
        reject(new GravaError('GRAVA_E_DAEMON', `the daemon did not answer ${method} in ${timeoutMs} ms`, { timeout: true }));
      }, timeoutMs) : undefined;
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(encodeFrame({ id, method, params, ...(this.version ? { version: this.version } : {}) }));
    });
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}
