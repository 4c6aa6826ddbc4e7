// The one reader of grava's JSON state files (written with writeFileAtomic in
// layout.ts). It never decides what a bad file means: it says which of three
// things it found, and each caller states its policy where it reads. It never
// quotes the file's text (some of these files sit next to secrets, and newer
// V8 versions put a slice of the text in JSON.parse's message).

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { GravaError, type ErrorCode } from '../../errors/grava-error.js';

export type JsonRead<T> =
  | { readonly status: 'missing' }
  | { readonly status: 'ok'; readonly value: T }
  | { readonly status: 'corrupt'; readonly reason: string };

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function decode<T>(text: string, valid: (v: unknown) => v is T): JsonRead<T> {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return { status: 'corrupt', reason: 'is not valid JSON' }; }
  return valid(v) ? { status: 'ok', value: v } : { status: 'corrupt', reason: 'is valid JSON of the wrong shape' };
}

function failed(e: unknown): JsonRead<never> {
  const code = (e as { code?: string }).code;
  return code === 'ENOENT' ? { status: 'missing' } : { status: 'corrupt', reason: `cannot be read (${code ?? 'error'})` };
}

export function readJsonFile<T>(path: string, valid: (v: unknown) => v is T): JsonRead<T> {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) { return failed(e); }
  return decode(text, valid);
}

export async function readJsonFileAsync<T>(path: string, valid: (v: unknown) => v is T): Promise<JsonRead<T>> {
  let text: string;
  try { text = await readFile(path, 'utf8'); } catch (e) { return failed(e); }
  return decode(text, valid);
}

/** The value, `undefined` when the file does not exist, or a GravaError with `code` naming the file when it is corrupt. */
export function readJsonOrThrow<T>(path: string, valid: (v: unknown) => v is T, code: ErrorCode): T | undefined {
  const r = readJsonFile(path, valid);
  if (r.status === 'corrupt') throw new GravaError(code, `${path} ${r.reason}`, { path });
  return r.status === 'ok' ? r.value : undefined;
}

/** A state file that names a process. */
export const hasPid = (v: unknown): v is Record<string, unknown> & { pid: number } => isObject(v) && Number.isInteger(v.pid) && (v.pid as number) > 0;
