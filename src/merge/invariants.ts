// Invariants that hold in each replica but that a merge of two replicas can
// break: here, "blocking dependencies form no cycle" (A→B made in one
// workspace, B→A in another merge into a permanent `ready` deadlock). Pure:
// the storage layer reads the edges and applies the verdict.
//
// The rule (docs/MERGE_SPEC.md §13b): replay the edges in creation order
// (created_at, then issue_id, then depends_on) as the CLI would have checked
// them had every agent worked on one replica; an edge that would close a
// cycle among the edges kept before it is removed. The verdict depends only
// on the set of edges, never on the order replicas merged them in.

export interface Edge {
  readonly from: string;
  readonly to: string;
  /** Immutable creation time of the edge (ISO text); ties are broken by from, then to. */
  readonly createdAt: string;
}

const order = (a: Edge, b: Edge): number =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0;

/** Strongly connected components with more than one node or a self-loop: the only places a cycle can be. */
function cyclicComponents(edges: readonly Edge[]): Map<string, number> {
  const adj = new Map<string, string[]>();
  for (const e of edges) {
    adj.set(e.from, [...(adj.get(e.from) ?? []), e.to]);
    if (!adj.has(e.to)) adj.set(e.to, []);
  }
  // Tarjan's algorithm, iterative (dependency chains can be long).
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const comp = new Map<string, number>();
  let next = 0;
  let compId = 0;
  for (const root of [...adj.keys()].sort()) {
    if (index.has(root)) continue;
    const work: { node: string; i: number }[] = [{ node: root, i: 0 }];
    index.set(root, next); low.set(root, next); next++; stack.push(root); onStack.add(root);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const succ = adj.get(top.node)!;
      if (top.i < succ.length) {
        const w = succ[top.i++]!;
        if (!index.has(w)) {
          index.set(w, next); low.set(w, next); next++; stack.push(w); onStack.add(w);
          work.push({ node: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(top.node, Math.min(low.get(top.node)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) { const parent = work[work.length - 1]!.node; low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!)); }
      if (low.get(top.node) === index.get(top.node)) {
        const members: string[] = [];
        for (;;) { const w = stack.pop()!; onStack.delete(w); members.push(w); if (w === top.node) break; }
        const selfLoop = members.length === 1 && adj.get(top.node)!.includes(top.node);
        if (members.length > 1 || selfLoop) { for (const m of members) comp.set(m, compId); compId++; }
      }
    }
  }
  return comp;
}

function reaches(kept: ReadonlyMap<string, readonly string[]>, from: string, target: string): boolean {
  const seen = new Set<string>([from]);
  const queue = [from];
  while (queue.length > 0) {
    const n = queue.shift()!;
    if (n === target) return true;
    for (const m of kept.get(n) ?? []) if (!seen.has(m)) { seen.add(m); queue.push(m); }
  }
  return false;
}

/** The edges to remove so that no cycle remains, chosen by the creation-order rule above (sorted by that order). */
export function cycleBreakers(edges: readonly Edge[]): Edge[] {
  const comp = cyclicComponents(edges);
  if (comp.size === 0) return [];
  // Only edges inside one cyclic component can lie on a cycle; replay those, per component, in creation order.
  const inside = edges.filter((e) => comp.has(e.from) && comp.get(e.from) === comp.get(e.to)).sort(order);
  const kept = new Map<string, string[]>();
  const removed: Edge[] = [];
  for (const e of inside) {
    // Adding from → to closes a cycle when `to` already reaches `from` (a self-loop always does).
    if (reaches(kept, e.to, e.from)) removed.push(e);
    else kept.set(e.from, [...(kept.get(e.from) ?? []), e.to]);
  }
  return removed;
}
