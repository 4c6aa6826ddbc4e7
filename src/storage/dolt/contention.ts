// Dolt's ways of saying "another writer moved the head first". Each means the
// work is still valid and must be redone on the new head: grava retries it
// (sync cycle, claim, one transaction) with the one backoff (errors/retry.ts).
// Every text below was read in Dolt's source and seen from the real binary;
// see docs/DOLT.md, "Contention errors".

/** A push that lost the race: the central's branch moved since the fetch. */
const PUSH_RACE = [
  /non-fast-forward/i, // DOLT_PUSH's "! [rejected] main -> main (non-fast-forward)"
  /\[rejected\]/i,
  /dataset head is not ancestor of commit/i, // datas.ErrMergeNeeded, DOLT_PUSH's error when the tip is behind
  /tip of your current branch is behind/i,
  /cannot fast forward from a to b/i, // doltdb.ErrIsAhead
  /can't fast forward merge/i, // actions.ErrCantFF
];

/**
 * A fetch from a git or directory remote that read the database while
 * another workspace was pushing to it: the new root names a table file
 * (a git blob or a file) the reader does not see yet. Seen on 1.86.4 with
 * four workspaces syncing at once over git+file.
 */
const REMOTE_READ_RACE = [
  /Blob not found/i,
  // A remotesapi push whose table-file transfer was answered 404 while other workspaces pushed to the same
  // central (seen in bench:fleet, direct mode, 25 workspaces): nothing was written; a retry pushes again.
  /unknown push error; http status: 404/i,
  // A fetch whose download handed Dolt's table-file writer one chunk twice (seen in bench:fleet, queue mode,
  // 50 workspaces, Dolt 1.88.1: nbs.ErrDuplicateChunkWritten at the writer's Finish): the pull fails before
  // its table files are added to the store's manifest (pull_table_file_writer.go), so the fetch changed
  // nothing and a retry fetches again.
  /duplicate chunks written/i,
];

/** A local transaction or commit that lost to another connection's. */
const LOCAL_RACE = [
  /serialization failure/i,
  /deadlock found/i, // errno 1213, sql.ErrLockDeadlock
  /conflicts with a committed transaction from another client/i, // dsess.ErrRetryTransaction
  /optimistic lock failed/i, // errno 1105, datas.ErrOptimisticLockFailed once Dolt's own retries ran out
  /root moved|tables changed/i, // the storage layer's optimistic lock, should it surface
  // A write from another session landed between the merge transaction's commit of pending writes and its
  // DOLT_MERGE (seen in bench:fleet with 25 daemons); the next attempt commits it first.
  /local changes would be stomped by merge/i,
];

function texts(e: unknown): string[] {
  const out: string[] = [];
  for (let x = e, depth = 0; x !== undefined && x !== null && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const m = x as { sqlMessage?: unknown; message?: unknown };
    if (typeof m.sqlMessage === 'string') out.push(m.sqlMessage);
    if (typeof m.message === 'string') out.push(m.message);
    else if (typeof x === 'string') out.push(x);
  }
  return out;
}

function errnos(e: unknown): number[] {
  const out: number[] = [];
  for (let x = e, depth = 0; x !== undefined && x !== null && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const n = (x as { errno?: unknown }).errno;
    if (typeof n === 'number') out.push(n);
  }
  return out;
}

/** A push rejected because the remote branch moved first (the text of Dolt's error). */
export function isPushRace(text: string): boolean {
  return PUSH_RACE.some((r) => r.test(text));
}

/**
 * A push whose fast-forward check could not read the remote branch's head commit (Dolt's
 * `expected SerialMessage type for commit value, found <nil>`): the remote's ref names a commit it cannot
 * load. Seen once, pushing ws/<actor> after a kill -9 of the central in the crash drill (docs/DOLT.md).
 */
export function isUnreadableRemoteHead(text: string): boolean {
  return /expected SerialMessage type for commit value, found <nil>/i.test(text);
}

export function isRemoteReadRace(text: string): boolean {
  return REMOTE_READ_RACE.some((r) => r.test(text));
}

/** A local transaction or Dolt commit that lost a race with another connection (its cause chain is searched). */
export function isLocalContention(e: unknown): boolean {
  return errnos(e).includes(1213) || texts(e).some((t) => LOCAL_RACE.some((r) => r.test(t)));
}

/**
 * A connection that died before the statement reached the server: the workspace server was restarted
 * under it (a sync's remote deadline restarts it, docs/ARCHITECTURE.md), or is starting. Nothing of the
 * transaction was committed, so it is safe to run again on a fresh connection.
 */
export function isDeadConnection(e: unknown): boolean {
  for (let x: unknown = e; x instanceof Error; x = (x as { cause?: unknown }).cause) {
    if (/Can't add new command when connection is in closed state/i.test(x.message)) return true;
    const code = (x as { code?: unknown }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT') return true;
  }
  return false;
}

/** A lost or refused connection to Dolt (it restarts), sent or not, as opposed to a failure of the statement itself. */
export function isConnectionError(e: unknown): boolean {
  if (isDeadConnection(e)) return true;
  for (let x: unknown = e; x instanceof Error; x = (x as { cause?: unknown }).cause) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && /^(ECONNRESET|EPIPE|ETIMEDOUT|PROTOCOL_CONNECTION_LOST|PROTOCOL_SEQUENCE_TIMEOUT)$/.test(code)) return true;
    if (/connection (lost|refused|closed)|socket hang up|Timeout acquiring a connection|ECONNREFUSED|ECONNRESET/i.test(x.message)) return true;
  }
  return false;
}
