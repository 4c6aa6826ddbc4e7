// Types for bd-compat-runner.mjs (used by test/dolt/beads-compat.dolt.test.ts).

export interface BdResult { readonly code: number; readonly stdout: string; readonly stderr: string }
export type Bd = (args: readonly string[], opts: { stdin?: string | undefined; env?: Record<string, string> | undefined }) => Promise<BdResult>;

export interface CompatExpect {
  readonly code?: number;
  readonly json?: 'array' | 'object' | 'none';
  readonly length?: number;
  readonly keys?: readonly string[];
  readonly nested?: Readonly<Record<string, readonly string[]>>;
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly contains?: string;
  readonly absent?: string;
  readonly stdout?: string;
  readonly stderr?: string;
}

export interface CompatRow {
  readonly name: string;
  readonly source: string;
  readonly given?: readonly (readonly string[])[];
  readonly run: readonly string[];
  readonly stdin?: string;
  readonly env?: Record<string, string>;
  readonly expect: CompatExpect;
  readonly then?: readonly { readonly run: readonly string[]; readonly expect: CompatExpect }[];
}

export function jsonKind(json: unknown): 'array' | 'object' | 'none';
export function topKeys(json: unknown): string[];
export function check(result: BdResult, expect: CompatExpect | undefined, ids: readonly string[], actor: string): string[];
export function runRow(bd: Bd, row: CompatRow, actor: string): Promise<{ failures: string[]; result: BdResult; ids: string[] }>;
