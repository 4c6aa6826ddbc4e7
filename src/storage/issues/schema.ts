// DDL for the replicated tables, derived from the merge layer's TableSpecs so
// the two can never disagree about which cells carry clocks.

import { clockColumn, COMMENTS, DEPENDENCIES, EVENTS, ISSUES, LABELS, type TableSpec } from '../../merge/tables.js';

const TYPES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  issues: {
    id: 'VARCHAR(64) NOT NULL',
    created_at: 'VARCHAR(32) NOT NULL',
    created_by: 'VARCHAR(64) NOT NULL',
    title: 'TEXT NOT NULL',
    description: 'TEXT NOT NULL',
    status: 'VARCHAR(16) NOT NULL',
    priority: 'INT NOT NULL',
    type: 'VARCHAR(16) NOT NULL',
    assignee: 'VARCHAR(255) NULL',
    close_reason: 'TEXT NULL',
    deleted: 'TINYINT NOT NULL DEFAULT 0',
    design: 'TEXT NULL',
    acceptance_criteria: 'TEXT NULL',
    notes: 'TEXT NULL',
    external_ref: 'VARCHAR(255) NULL',
    estimated_minutes: 'INT NULL',
    due_at: 'VARCHAR(32) NULL',
    defer_until: 'VARCHAR(32) NULL',
  },
  dependencies: {
    issue_id: 'VARCHAR(64) NOT NULL',
    depends_on: 'VARCHAR(64) NOT NULL',
    created_at: 'VARCHAR(32) NOT NULL',
    created_by: 'VARCHAR(64) NOT NULL',
    type: 'VARCHAR(32) NOT NULL',
    deleted: 'TINYINT NOT NULL DEFAULT 0',
  },
  labels: {
    issue_id: 'VARCHAR(64) NOT NULL',
    label: 'VARCHAR(128) NOT NULL',
    created_at: 'VARCHAR(32) NOT NULL',
    created_by: 'VARCHAR(64) NOT NULL',
    deleted: 'TINYINT NOT NULL DEFAULT 0',
  },
  comments: {
    id: 'VARCHAR(64) NOT NULL',
    issue_id: 'VARCHAR(64) NOT NULL',
    author: 'VARCHAR(64) NOT NULL',
    body: 'TEXT NOT NULL',
    created_at: 'VARCHAR(32) NOT NULL',
  },
  events: {
    id: 'VARCHAR(64) NOT NULL',
    issue_id: 'VARCHAR(64) NULL',
    kind: 'VARCHAR(32) NOT NULL',
    actor: 'VARCHAR(64) NOT NULL',
    at: 'VARCHAR(96) NOT NULL',
    data: 'TEXT NOT NULL',
  },
};

const EXTRA: Readonly<Record<string, readonly string[]>> = {
  dependencies: ['KEY idx_dependencies_depends_on (depends_on)', 'CONSTRAINT fk_dependencies_issue FOREIGN KEY (issue_id) REFERENCES issues (id)', 'CONSTRAINT fk_dependencies_depends_on FOREIGN KEY (depends_on) REFERENCES issues (id)'],
  labels: ['KEY idx_labels_label (label)'],
  comments: ['KEY idx_comments_issue (issue_id)'],
  events: ['KEY idx_events_issue (issue_id)'],
};

export function createTableSql(spec: TableSpec): string {
  const types = TYPES[spec.name];
  if (!types) throw new Error(`no column types for table ${spec.name}`);
  const col = (c: string): string => {
    const t = types[c];
    if (!t) throw new Error(`no type for ${spec.name}.${c}`);
    return `\`${c}\` ${t}`;
  };
  const defs = [
    ...spec.pk.map(col),
    ...spec.immutable.map(col),
    ...spec.clocked.flatMap((c) => [col(c), `\`${clockColumn(c)}\` VARCHAR(96) NULL`]),
    `PRIMARY KEY (${spec.pk.map((c) => `\`${c}\``).join(', ')})`,
    ...(EXTRA[spec.name] ?? []),
  ];
  return `CREATE TABLE \`${spec.name}\` (\n  ${defs.join(',\n  ')}\n)`;
}

/** The issue cells added by schema version 3 (nullable: rows written before it hold NULL). */
export const V3_ISSUE_CELLS = ['design', 'acceptance_criteria', 'notes', 'external_ref', 'estimated_minutes', 'due_at', 'defer_until'] as const;

/** The issues table as version 1 created it: a released migration never changes. */
const ISSUES_V1: TableSpec = { ...ISSUES, clocked: ISSUES.clocked.filter((c) => !(V3_ISSUE_CELLS as readonly string[]).includes(c)) };

function addColumnsSql(spec: TableSpec, cells: readonly string[]): string {
  const types = TYPES[spec.name] ?? {};
  const adds = cells.flatMap((c) => [`ADD COLUMN \`${c}\` ${types[c] ?? ''}`, `ADD COLUMN \`${clockColumn(c)}\` VARCHAR(96) NULL`]);
  return `ALTER TABLE \`${spec.name}\` ${adds.join(', ')}`;
}

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

/** Every schema change, in order. Append only; never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'issues, dependencies, labels, comments and events with per-cell clocks',
    statements: [ISSUES_V1, DEPENDENCIES, LABELS, COMMENTS, EVENTS].map(createTableSql),
  },
  {
    version: 2,
    name: 'events.data holds whole old and new values (TEXT stops at 64 KiB)',
    statements: ['ALTER TABLE events MODIFY COLUMN data LONGTEXT NOT NULL'],
  },
  {
    version: 3,
    name: 'issues gain design, acceptance_criteria, notes, external_ref, estimated_minutes, due_at and defer_until, each with its clock',
    statements: [addColumnsSql(ISSUES, V3_ISSUE_CELLS)],
  },
];

export const MIGRATIONS_TABLE = 'grava_migrations';
