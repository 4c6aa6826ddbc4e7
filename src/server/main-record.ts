// The head of main the merge queue last wrote or accepted, kept in the data
// dir (main-guard.json, 0600) so that the guard of main (issue 18) holds
// across restarts of the supervisor: a force-push made while the supervisor
// was down (its Dolt orphaned and still serving, or started by hand) is put
// back at the next start instead of being taken as the new main.

import { join } from 'node:path';
import { isObject, readJsonFile } from '../storage/dolt/json-file.js';
import { writeFileAtomic } from '../storage/dolt/layout.js';

export const MAIN_RECORD_FILE = 'main-guard.json';

const HASH = /^[0-9a-v]{32}$/;

export type MainRecord =
  | { readonly status: 'none' }
  | { readonly status: 'ok'; readonly head: string; readonly at: string }
  /** Unreadable or of the wrong shape: the guard starts from main as it finds it, and says so. */
  | { readonly status: 'corrupt'; readonly reason: string };

export function mainRecordPath(dataDir: string): string {
  return join(dataDir, MAIN_RECORD_FILE);
}

export function readMainRecord(dataDir: string): MainRecord {
  const r = readJsonFile(mainRecordPath(dataDir), isObject);
  if (r.status === 'missing') return { status: 'none' };
  if (r.status === 'corrupt') return { status: 'corrupt', reason: r.reason };
  const { head, at } = r.value;
  if (typeof head !== 'string' || !HASH.test(head)) return { status: 'corrupt', reason: 'has no valid head' };
  return { status: 'ok', head, at: typeof at === 'string' ? at : '' };
}

export function writeMainRecord(dataDir: string, head: string, at: Date): void {
  writeFileAtomic(mainRecordPath(dataDir), `${JSON.stringify({ head, at: at.toISOString() })}\n`, 0o600);
}
