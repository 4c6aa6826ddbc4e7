// The dependency-cycle repair's rule (MERGE_SPEC §14): pure, deterministic,
// independent of the order edges arrive in, and minimal in the sense of the
// creation-order replay.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cycleBreakers, type Edge } from '../../src/merge/invariants.js';

const e = (from: string, to: string, createdAt: string): Edge => ({ from, to, createdAt });

function hasCycle(edges: readonly Edge[]): boolean {
  const adj = new Map<string, string[]>();
  for (const x of edges) adj.set(x.from, [...(adj.get(x.from) ?? []), x.to]);
  const state = new Map<string, 1 | 2>();
  const visit = (n: string): boolean => {
    if (state.get(n) === 1) return true;
    if (state.get(n) === 2) return false;
    state.set(n, 1);
    for (const m of adj.get(n) ?? []) if (visit(m)) return true;
    state.set(n, 2);
    return false;
  };
  return [...adj.keys()].some(visit);
}

const without = (edges: readonly Edge[], removed: readonly Edge[]): Edge[] => edges.filter((x) => !removed.some((r) => r.from === x.from && r.to === x.to));

// Random graphs over few nodes (so cycles are common), one edge per (from, to) as in the table.
const graph = fc.uniqueArray(
  fc.record({ from: fc.constantFrom('a', 'b', 'c', 'd', 'e'), to: fc.constantFrom('a', 'b', 'c', 'd', 'e'), createdAt: fc.constantFrom('t1', 't2', 't3', 't4') }),
  { selector: (x) => `${x.from}>${x.to}`, maxLength: 14 },
);

describe('dependency cycles', () => {
  it('a two-workspace cycle loses its newer edge', () => {
    expect(cycleBreakers([e('A', 'B', '2026-01-01T00:00:00.000Z'), e('B', 'A', '2026-01-01T00:00:01.000Z')])).toEqual([e('B', 'A', '2026-01-01T00:00:01.000Z')]);
    // The same creation time: the tie is broken by the ids, the same way everywhere.
    expect(cycleBreakers([e('B', 'A', 'same'), e('A', 'B', 'same')])).toEqual([e('B', 'A', 'same')]);
  });

  it('an acyclic graph is left alone, and edges off every cycle are never removed', () => {
    expect(cycleBreakers([e('A', 'B', '1'), e('B', 'C', '2'), e('A', 'C', '3')])).toEqual([]);
    const r = cycleBreakers([e('X', 'A', '0'), e('A', 'B', '1'), e('B', 'C', '2'), e('C', 'A', '3'), e('C', 'Y', '4')]);
    expect(r).toEqual([e('C', 'A', '3')]);
  });

  it('a self-dependency is removed', () => {
    expect(cycleBreakers([e('A', 'A', '1'), e('A', 'B', '2')])).toEqual([e('A', 'A', '1')]);
  });

  it('property: what remains has no cycle', () => {
    fc.assert(fc.property(graph, (g) => !hasCycle(without(g, cycleBreakers(g)))), { numRuns: 500 });
  });

  it('property: the verdict is the same whatever order the edges arrive in', () => {
    fc.assert(fc.property(graph.chain((g) => fc.tuple(fc.constant(g), fc.shuffledSubarray(g, { minLength: g.length, maxLength: g.length }))), ([g, shuffled]) => {
      expect(cycleBreakers(shuffled)).toEqual(cycleBreakers(g));
    }), { numRuns: 500 });
  });

  it('property: each removed edge closes a cycle with kept edges older than it (nothing removed needlessly)', () => {
    fc.assert(fc.property(graph, (g) => {
      const removed = cycleBreakers(g);
      const kept = without(g, removed);
      for (const r of removed) {
        const older = kept.filter((k) => k.createdAt < r.createdAt || (k.createdAt === r.createdAt && (k.from < r.from || (k.from === r.from && k.to < r.to))));
        expect(hasCycle([...older, r])).toBe(true);
      }
    }), { numRuns: 500 });
  });
});
