// The daemon's socket protocol: newline-delimited JSON, shared by client and
// server. A request is {id, method, params, version}; a reply is {id, result}
// or {id, error: {code, message, data}} with the CLI's GRAVA_E_* codes.
// A frame is one line of at most MAX_FRAME_BYTES; a longer one is refused
// and the connection closed, so a client cannot make the daemon buffer
// without bound.

import type { GravaErrorJson } from '../errors/grava-error.js';

export const MAX_FRAME_BYTES = 1024 * 1024;

export interface RpcRequest {
  readonly id: number | string;
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** The client's build, so an old daemon is never silently talked to. */
  readonly version?: string;
}

export type RpcReply =
  | { readonly id: number | string | null; readonly result: unknown }
  | { readonly id: number | string | null; readonly error: GravaErrorJson };

export function encodeFrame(message: RpcRequest | RpcReply): string {
  return `${JSON.stringify(message)}\n`;
}

export type Decoded =
  | { readonly kind: 'frame'; readonly value: unknown }
  | { readonly kind: 'bad-json'; readonly text: string }
  | { readonly kind: 'oversized'; readonly bytes: number };

/**
 * Splits a byte stream into frames. Feed it chunks; it returns whatever
 * complete frames they finish. After 'oversized' the stream is unusable.
 */
export class FrameDecoder {
  private parts: Buffer[] = [];
  private size = 0;
  private broken = false;

  constructor(private readonly maxBytes: number = MAX_FRAME_BYTES) {}

  /** Bytes of an unfinished frame held now. */
  get pending(): number {
    return this.size;
  }

  push(chunk: Buffer): Decoded[] {
    if (this.broken) return [];
    const out: Decoded[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.size + piece.length > this.maxBytes) return this.fail(out, this.size + piece.length);
      const line = (this.parts.length ? Buffer.concat([...this.parts, piece]) : piece).toString('utf8');
      this.parts = [];
      this.size = 0;
      if (line.trim() === '') continue;
      try {
        out.push({ kind: 'frame', value: JSON.parse(line) as unknown });
      } catch {
        out.push({ kind: 'bad-json', text: line.slice(0, 80) });
      }
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0) {
      if (this.size + rest.length > this.maxBytes) return this.fail(out, this.size + rest.length);
      this.parts.push(Buffer.from(rest));
      this.size += rest.length;
    }
    return out;
  }

  private fail(out: Decoded[], bytes: number): Decoded[] {
    this.broken = true;
    this.parts = [];
    this.size = 0;
    out.push({ kind: 'oversized', bytes });
    return out;
  }
}

/** The request's shape, checked before any method sees it; a string says what is wrong. */
export function asRequest(value: unknown): RpcRequest | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a request must be a JSON object';
  const v = value as Record<string, unknown>;
  if (!(typeof v.id === 'number' || typeof v.id === 'string')) return 'a request needs an "id" (number or string)';
  if (typeof v.method !== 'string' || v.method.length === 0 || v.method.length > 64) return 'a request needs a "method" (string)';
  const params = v.params ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return '"params" must be a JSON object';
  if (v.version !== undefined && typeof v.version !== 'string') return '"version" must be a string';
  return { id: v.id, method: v.method, params: params as Record<string, unknown>, ...(typeof v.version === 'string' ? { version: v.version } : {}) };
}
