// The merge-relevant shape of every replicated table. Pure data, shared by the
// merge engine (which decides cells) and storage (which creates the tables).
//
// - `pk`: primary-key columns. Never changed after insert.
// - `clocked`: last-writer-wins cells. Each has a companion `<col>_clk` column
//   holding the HLC stamp of its last write, so Dolt merges edits of different
//   cells of one row cleanly and grava decides same-cell edits by that cell's
//   own clock.
// - `immutable`: written once on insert. On insert/insert of the same key the
//   smaller value wins, which is commutative and deterministic.
// - `appendOnly`: rows are only ever inserted (events, comments).

export type CellValue = string | number | null;
export type Row = Readonly<Record<string, CellValue>>;

export interface TableSpec {
  readonly name: string;
  readonly pk: readonly string[];
  readonly clocked: readonly string[];
  readonly immutable: readonly string[];
  readonly appendOnly: boolean;
}

export const CLOCK_SUFFIX = '_clk';

export function clockColumn(column: string): string {
  return `${column}${CLOCK_SUFFIX}`;
}

export const ISSUES: TableSpec = {
  name: 'issues',
  pk: ['id'],
  clocked: [
    'title', 'description', 'status', 'priority', 'type', 'assignee', 'close_reason', 'deleted',
    // Schema version 3: the fields agents write through the beads dialect.
    'design', 'acceptance_criteria', 'notes', 'external_ref', 'estimated_minutes', 'due_at', 'defer_until',
  ],
  immutable: ['created_at', 'created_by'],
  appendOnly: false,
};

export const DEPENDENCIES: TableSpec = {
  name: 'dependencies',
  pk: ['issue_id', 'depends_on'],
  clocked: ['type', 'deleted'],
  immutable: ['created_at', 'created_by'],
  appendOnly: false,
};

export const LABELS: TableSpec = {
  name: 'labels',
  pk: ['issue_id', 'label'],
  clocked: ['deleted'],
  immutable: ['created_at', 'created_by'],
  appendOnly: false,
};

export const COMMENTS: TableSpec = {
  name: 'comments',
  pk: ['id'],
  clocked: [],
  immutable: ['issue_id', 'author', 'body', 'created_at'],
  appendOnly: true,
};

export const EVENTS: TableSpec = {
  name: 'events',
  pk: ['id'],
  clocked: [],
  immutable: ['issue_id', 'kind', 'actor', 'at', 'data'],
  appendOnly: true,
};

export const TABLES: readonly TableSpec[] = [ISSUES, DEPENDENCIES, LABELS, COMMENTS, EVENTS];

export function tableSpec(name: string): TableSpec | undefined {
  return TABLES.find((t) => t.name === name);
}

/** Every column of a table, in storage order: pk, immutable, then each clocked cell and its clock. */
export function columnsOf(spec: TableSpec): string[] {
  return [...spec.pk, ...spec.immutable, ...spec.clocked.flatMap((c) => [c, clockColumn(c)])];
}
