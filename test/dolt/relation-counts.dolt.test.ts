// bd's relation counts come from a cache keyed by the hashes of the tables
// they are counted from; writes by other processes must show at once, and
// writes elsewhere must not disturb them.

import { afterAll, describe, expect, it } from 'vitest';
import { openReplica, type Replica } from '../../src/storage/replica.js';
import { workspacePaths } from '../../src/storage/dolt/layout.js';
import { ok, testDir } from '../helpers/workspace.js';

let r: Replica | undefined;
afterAll(async () => { await r?.close(); });

describe('relation counts', () => {
  it('follow comments and dependencies written by another process, and stay right across other writes', async () => {
    const dir = testDir('counts');
    await ok(dir, ['init', '--actor', 'counter']);
    r = await openReplica(workspacePaths(dir));
    const a = await r.issues.create({ title: 'a' });
    const b = await r.issues.create({ title: 'b' });
    const counts = async (id: string): Promise<unknown> => {
      const x = (await r!.issues.list({}, { counts: true })).find((i) => i.id === id) as unknown as Record<string, unknown>;
      return { deps: x.dependency_count, dependents: x.dependent_count, comments: x.comment_count };
    };
    expect(await counts(a.id)).toEqual({ deps: 0, dependents: 0, comments: 0 });
    // Another process writes both tables the counts come from.
    await ok(dir, ['comment', a.id, 'from elsewhere']);
    await ok(dir, ['dep', 'add', a.id, b.id]);
    expect(await counts(a.id)).toEqual({ deps: 1, dependents: 0, comments: 1 });
    expect(await counts(b.id)).toEqual({ deps: 0, dependents: 1, comments: 0 });
    // A write that touches neither table leaves the counts as they are (served from the cache).
    await ok(dir, ['update', a.id, '--priority', '0']);
    expect(await counts(a.id)).toEqual({ deps: 1, dependents: 0, comments: 1 });
    await ok(dir, ['dep', 'remove', a.id, b.id]);
    expect(await counts(b.id)).toEqual({ deps: 0, dependents: 0, comments: 0 });
  });
});
