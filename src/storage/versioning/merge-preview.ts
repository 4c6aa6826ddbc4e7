// Explaining merges without changing anything: a preview of merging a ref
// into HEAD, or a past merge commit re-decided from its parents. Rows come
// from `dolt_diff` and `AS OF` reads and go through the same pure engine.

import { GravaError } from '../../errors/grava-error.js';
import { decideRow, type RowDecision } from '../../merge/decide.js';
import { TABLES, tableSpec, type TableSpec } from '../../merge/tables.js';
import { changedKeys, rowsAsOf } from './conflict-rows.js';
import { rows, type Db } from '../dolt/db.js';
import { isDirty } from '../dolt/version-control.js';

export interface InspectTarget {
  readonly base: string;
  readonly ours: string;
  readonly theirs: string;
  readonly merge?: string;
}

export interface InspectOptions {
  readonly table?: string;
  readonly id?: string;
  readonly now: number;
}

async function resolveHash(db: Db, ref: string): Promise<string> {
  try {
    const r = await rows<{ h: string }>(db, 'SELECT HASHOF(?) AS h', [ref]);
    if (r[0]?.h) return r[0].h;
  } catch { /* fall through */ }
  throw new GravaError('GRAVA_E_NOT_FOUND', `no commit or branch ${ref}`, { ref });
}

/** A preview of merging `ref` into the working set: uncommitted local writes count as ours, as the next sync would commit them. */
export async function previewTarget(db: Db, ref: string): Promise<InspectTarget> {
  const head = await resolveHash(db, 'HEAD');
  const theirs = await resolveHash(db, ref);
  const base = (await rows<{ b: string }>(db, 'SELECT DOLT_MERGE_BASE(?, ?) AS b', [head, theirs]))[0]?.b;
  if (!base) throw new GravaError('GRAVA_E_MERGE', `HEAD and ${ref} share no history`);
  return { base, ours: (await isDirty(db)) ? 'WORKING' : head, theirs };
}

export async function commitTarget(db: Db, commit: string): Promise<InspectTarget> {
  const hash = await resolveHash(db, commit);
  // Dolt 1.86 fails a filtered read of dolt_commit_ancestors ("max1Row iterator
  // returned more than one row"), so ask for the parents by ancestry spec.
  const ours = await resolveHash(db, `${hash}^1`).catch(() => undefined);
  const theirs = await resolveHash(db, `${hash}^2`).catch(() => undefined);
  if (!ours || !theirs) throw new GravaError('GRAVA_E_INVALID', `commit ${commit} is not a merge commit`, { commit: hash });
  const base = (await rows<{ b: string }>(db, 'SELECT DOLT_MERGE_BASE(?, ?) AS b', [ours, theirs]))[0]?.b ?? '';
  return { base, ours, theirs, merge: hash };
}

function tablesFor(opts: InspectOptions): TableSpec[] {
  if (opts.table === undefined) return TABLES.filter((t) => t.name !== 'events');
  const spec = tableSpec(opts.table);
  if (!spec) throw new GravaError('GRAVA_E_INVALID', `unknown table ${JSON.stringify(opts.table)}; one of ${TABLES.map((t) => t.name).join(', ')}`);
  return [spec];
}

function matchesId(d: RowDecision, id: string | undefined): boolean {
  if (id === undefined) return true;
  return d.key.id === id || d.key.issue_id === id || d.key.depends_on === id;
}

/** Every row changed on either side since the merge base, decided cell by cell. */
export async function inspect(db: Db, target: InspectTarget, opts: InspectOptions): Promise<RowDecision[]> {
  const out: RowDecision[] = [];
  for (const spec of tablesFor(opts)) {
    const ours = await changedKeys(db, spec, target.base, target.ours);
    const theirs = await changedKeys(db, spec, target.base, target.theirs);
    const keys = [...new Set([...ours, ...theirs])].sort();
    if (keys.length === 0) continue;
    const [b, o, t] = await Promise.all([rowsAsOf(db, spec, target.base, keys), rowsAsOf(db, spec, target.ours, keys), rowsAsOf(db, spec, target.theirs, keys)]);
    for (const k of keys) {
      const d = decideRow(spec, b.get(k) ?? null, o.get(k) ?? null, t.get(k) ?? null, { now: opts.now });
      if (matchesId(d, opts.id)) out.push(d);
    }
  }
  return out;
}
