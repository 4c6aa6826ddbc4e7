// The one writer of the `events` table (append-only, replicated): every
// mutation, merge decision and sync observation goes through insertEvents,
// inside the transaction of the change it records.

import { exec, type Db, type Tx } from '../dolt/db.js';
import { rowId } from './ids.js';

export interface NewEvent {
  readonly issueId: string | null;
  readonly kind: string;
  readonly actor: string;
  /** An HLC stamp (clock.next()). */
  readonly at: string;
  readonly data: Readonly<Record<string, unknown>>;
}

const CHUNK = 200;

/** Appends events, a multi-row INSERT per 200 (one round trip for a usual merge). */
export async function insertEvents(db: Db | Tx, events: readonly NewEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += CHUNK) {
    const chunk = events.slice(i, i + CHUNK);
    await exec(db, `INSERT INTO events (id, issue_id, kind, actor, at, data) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
      chunk.flatMap((e) => [rowId('ev'), e.issueId, e.kind, e.actor, e.at, JSON.stringify(e.data)]));
  }
}
