// Property, against real Dolt: for random databases built by random
// operations, export → import into an empty workspace → export gives the
// same bytes (the recovery path loses nothing and invents nothing).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { exportTo } from '../../src/export/export.js';
import { importRows, readImportFile } from '../../src/export/import.js';
import { workspacePaths } from '../../src/storage/dolt/layout.js';
import { initLocalWorkspace, openReplica, type Replica } from '../../src/storage/replica.js';
import { testDir } from '../helpers/workspace.js';

type Op =
  | { kind: 'create'; title: string; priority: number; notes: string | null; label: string | null }
  | { kind: 'update'; n: number; title: string }
  | { kind: 'close'; n: number; reason: string | null }
  | { kind: 'dep'; n: number; m: number }
  | { kind: 'comment'; n: number; text: string }
  | { kind: 'delete'; n: number }
  | { kind: 'unlabel'; n: number };

const text = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== '' && !s.includes('\0'));
const create: fc.Arbitrary<Op> = fc.record({ kind: fc.constant('create' as const), title: text, priority: fc.integer({ min: 0, max: 4 }), notes: fc.option(text, { nil: null }), label: fc.option(fc.constantFrom('web', 'api', 'db'), { nil: null }) });
const op: fc.Arbitrary<Op> = fc.oneof(
  create,
  fc.record({ kind: fc.constant('update' as const), n: fc.nat(), title: text }),
  fc.record({ kind: fc.constant('close' as const), n: fc.nat(), reason: fc.option(text, { nil: null }) }),
  fc.record({ kind: fc.constant('dep' as const), n: fc.nat(), m: fc.nat() }),
  fc.record({ kind: fc.constant('comment' as const), n: fc.nat(), text }),
  fc.record({ kind: fc.constant('delete' as const), n: fc.nat() }),
  fc.record({ kind: fc.constant('unlabel' as const), n: fc.nat() }),
);

const opened: Replica[] = [];
async function workspace(name: string): Promise<Replica> {
  const dir = testDir(name);
  await initLocalWorkspace({ root: dir, actor: name });
  const r = await openReplica(workspacePaths(dir));
  opened.push(r);
  return r;
}

async function apply(r: Replica, ops: readonly Op[]): Promise<void> {
  const ids: string[] = [];
  const pick = (n: number): string | undefined => (ids.length === 0 ? undefined : ids[n % ids.length]);
  for (const o of ops) {
    // Refusals (a cycle, a closed issue, a missing label) are part of the game: they must write nothing.
    try {
      if (o.kind === 'create') ids.push((await r.issues.create({ title: o.title, priority: o.priority, ...(o.notes ? { notes: o.notes } : {}), ...(o.label ? { labels: [o.label] } : {}) })).id);
      else if (o.kind === 'update' && pick(o.n)) await r.issues.update(pick(o.n)!, { title: o.title });
      else if (o.kind === 'close' && pick(o.n)) await r.issues.close(pick(o.n)!, o.reason ?? undefined);
      else if (o.kind === 'dep' && pick(o.n) && pick(o.m) && pick(o.n) !== pick(o.m)) await r.issues.addDependency(pick(o.n)!, pick(o.m)!);
      else if (o.kind === 'comment' && pick(o.n)) await r.issues.comment(pick(o.n)!, o.text);
      else if (o.kind === 'delete' && pick(o.n)) await r.issues.delete(pick(o.n)!);
      else if (o.kind === 'unlabel' && pick(o.n)) await r.issues.removeLabel(pick(o.n)!, 'web');
    } catch (e) {
      if (!['GRAVA_E_INVALID', 'GRAVA_E_NOT_FOUND', 'GRAVA_E_CONFLICT'].includes((e as { code?: string }).code ?? '')) throw e;
    }
  }
}

afterAll(async () => {
  for (const r of opened) { await r.close(); await r.server.stop(5_000).catch(() => undefined); }
});

describe('export → import → export', () => {
  it('is the identity over random databases (property, real Dolt)', async () => {
    let run = 0;
    let lines = 0;
    // A few issues first, then any mix of operations on them.
    const ops = fc.tuple(fc.array(create, { minLength: 2, maxLength: 5 }), fc.array(op, { minLength: 5, maxLength: 30 })).map(([c, rest]) => [...c, ...rest]);
    await fc.assert(fc.asyncProperty(ops, async (ops) => {
      run++;
      const a = await workspace(`rt-a${run}`);
      await apply(a, ops);
      const file = join(a.paths.root, 'issues.jsonl');
      await exportTo(a.db, file);
      const b = await workspace(`rt-b${run}`);
      const now = Date.now();
      await importRows(b.db, b.clock, file, readImportFile(file, now), { dryRun: false, now });
      const again = join(b.paths.root, 'again.jsonl');
      await exportTo(b.db, again);
      const original = readFileSync(file, 'utf8');
      expect(readFileSync(again, 'utf8')).toBe(original);
      lines += original.split('\n').length - 1;
      expect(original).toContain('"table":"issues"');
    }), { numRuns: 6, seed: 2026 });
    // The databases were not trivial: issues, events and whatever else the operations made.
    expect(lines).toBeGreaterThan(30);
  });
});
