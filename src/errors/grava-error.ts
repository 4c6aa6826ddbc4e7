// One catalogue of stable error codes. Codes are the contract: scripts and
// tests match on them, never on message text. A GravaError survives the
// daemon's socket RPC as JSON (toJSON / fromJSON) and maps to a CLI exit code.

export const ERROR_CODES = {
  GRAVA_E_USAGE: 'wrong usage of a command or flag',
  GRAVA_E_INVALID: 'an argument has an invalid value',
  GRAVA_E_NOT_FOUND: 'no such issue, dependency or label',
  GRAVA_E_NO_WORKSPACE: 'not inside a grava workspace',
  GRAVA_E_WORKSPACE_EXISTS: 'a workspace already exists here',
  GRAVA_E_CONFLICT: 'the request conflicts with the current state (for example a claimed issue)',
  GRAVA_E_DOLT_MISSING: 'the Dolt binary was not found',
  GRAVA_E_DOLT_VERSION: 'the Dolt binary is older than grava supports',
  GRAVA_E_SERVER: 'the workspace dolt sql-server failed',
  GRAVA_E_STORAGE: 'a database operation failed',
  GRAVA_E_SCHEMA_NEWER: 'the other side has a schema newer than this grava knows; upgrade grava',
  GRAVA_E_SCHEMA_CONFLICT: 'a merge met a schema conflict; grava refuses to guess',
  GRAVA_E_MERGE: 'a merge could not be completed',
  GRAVA_E_REMOTE: 'the central server refused or could not be reached',
  GRAVA_E_AUTH: 'credentials for the central server are missing or wrong',
  GRAVA_E_PUSH_REJECTED: 'the push kept losing the race to other workspaces',
  GRAVA_E_QUEUE_TIMEOUT: "the workspace's branch was pushed but the central's merge queue did not merge it in time; nothing is lost, the next sync waits again",
  GRAVA_E_HISTORY_REWRITE: "the central's history removes issues this workspace holds (grava never deletes an issue row); nothing was merged or pushed",
  GRAVA_E_LOCKED: 'another grava process holds the lock',
  GRAVA_E_SERVER_EXISTS: 'a central server data dir already exists there',
  GRAVA_E_NO_SERVER: 'no central server data dir there; run `grava server init`',
  GRAVA_E_NOT_RUNNING: 'the central server is not running',
  GRAVA_E_BACKUP: 'a backup or restore of the central server failed',
  GRAVA_E_RESTORE_MISMATCH: 'the restored database does not hold the commit the backup recorded',
  GRAVA_E_UNHEALTHY: 'grava doctor found a problem',
  GRAVA_E_DAEMON: 'the workspace daemon could not be started or reached',
  GRAVA_E_DAEMON_VERSION: 'the daemon runs another build of grava than this CLI',
  GRAVA_E_PROTOCOL: 'a malformed request to the daemon (bad frame, unknown method or wrong params)',
  GRAVA_E_SHUTTING_DOWN: 'the daemon is stopping and accepts no new work',
  GRAVA_E_EXPORT: 'issues.jsonl could not be written (a pre-commit hook then stops the commit; GRAVA_SKIP_HOOKS=1 skips it)',
  GRAVA_E_IMPORT_INVALID: 'an import file failed validation (every problem is listed with its line number); nothing was written',
  GRAVA_E_UNSUPPORTED: 'a beads command or flag that grava does not have (bd dialect)',
  GRAVA_E_INTERNAL: 'an unexpected internal error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface GravaErrorJson {
  readonly code: ErrorCode;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export class GravaError extends Error {
  readonly code: ErrorCode;
  readonly data: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, data?: Readonly<Record<string, unknown>>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GravaError';
    this.code = code;
    this.data = data;
  }

  get exitCode(): number {
    return this.code === 'GRAVA_E_USAGE' ? EXIT.usage : EXIT.failed;
  }

  toJSON(): GravaErrorJson {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }

  static fromJSON(json: GravaErrorJson): GravaError {
    const code = json.code in ERROR_CODES ? json.code : 'GRAVA_E_INTERNAL';
    return new GravaError(code, json.message, json.data);
  }
}

/** Wraps anything thrown into a GravaError with the given fallback code. */
export function asGravaError(e: unknown, fallback: ErrorCode = 'GRAVA_E_INTERNAL'): GravaError {
  if (e instanceof GravaError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new GravaError(fallback, message, undefined, { cause: e });
}
