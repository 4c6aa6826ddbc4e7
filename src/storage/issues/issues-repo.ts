// Issues, dependencies, labels and comments. Every mutation runs in one SQL
// transaction that also appends its event, and stamps the clock of every cell
// it changes (see docs/MERGE_SPEC.md).

import { GravaError } from '../../errors/grava-error.js';
import { clockColumn, columnsOf, ISSUES } from '../../merge/tables.js';
import type { Clock } from './clock-store.js';
import { stampWall } from './clock-store.js';
import { exec, rows, storageError, type Db, type Tx } from '../dolt/db.js';
import { isDeadConnection, isLocalContention } from '../dolt/contention.js';
import { backoffDelay, sleep, TRANSACTION_BACKOFF, TRANSACTION_RETRIES } from '../../errors/retry.js';
import { tablesHash } from '../dolt/version-control.js';
import { hashId, idLength, rowId } from './ids.js';
import { insertEvents } from './events.js';
import { claimVerdict, unclaimVerdict } from './claims.js';
import type { BlockedIssue, Comment, CreateIssueInput, DependencyRef, Issue, IssueDetail, IssueStats, ListFilter, UpdateIssueInput } from './issue-types.js';
import { extraCells, NO_LABELS, toIssue, type IssueRow, type LabelSet } from './issue-fields.js';
import { listWhere, openBlockers, OPEN_BLOCKER, relationCounts, type RelationCounts } from './issue-queries.js';
import {
  validAssignee, validDepType, validId, validLabel, validPriority, validStatus, validText, validTitle, validType,
} from './validate.js';

const SELECT_ISSUE = `SELECT ${columnsOf(ISSUES).map((c) => `i.\`${c}\``).join(', ')} FROM issues i`;

/** The reason recorded when an issue is closed without one (as beads does). */
export const DEFAULT_CLOSE_REASON = 'Closed';

/** The state the relation counts are computed from: the tables they read. */
function countsHash(db: Db): Promise<string> {
  return tablesHash(db, ['dependencies', 'comments']);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export interface ReadOptions {
  /** Add beads' relation counts and parent to each issue (issue-queries.ts). */
  readonly counts?: boolean;
}

export interface MutationContext {
  /** Shortest id suffix; longer for workspaces that sync (see ids.ts). */
  readonly minIdLength?: number;
  readonly db: Db;
  readonly clock: Clock;
  readonly prefix: string;
}

export class IssuesRepo {
  constructor(private readonly ctx: MutationContext) {}

  /** Transactions redone after losing a race with another connection (for tests and the daemon's health). */
  contentionRetries = 0;

  /** The table's size as last counted, and when (ms); it only sets the id length, so it may be a little stale. */
  private knownCount: number | undefined;
  private countedAt = 0;

  private async issueCount(tx: Tx): Promise<number> {
    if (this.knownCount === undefined || Date.now() - this.countedAt > 2_000) {
      this.knownCount = Number((await rows<{ n: number }>(tx, 'SELECT COUNT(*) AS n FROM issues'))[0]?.n ?? 0);
      this.countedAt = Date.now();
    }
    return this.knownCount;
  }

  private get db(): Db {
    return this.ctx.db;
  }

  private get actor(): string {
    return this.ctx.clock.actor;
  }

  /** One SQL transaction; retried when a concurrent transaction committed a conflicting write first. */
  private async tx<T>(what: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.ctx.clock.refresh();
        // The clock's high-water mark is durable before the write commits, so no restart reissues a stamp.
        return await this.db.transaction(async (tx) => {
          const out = await fn(tx);
          await this.ctx.clock.persist();
          return out;
        });
      } catch (e) {
        if (attempt < TRANSACTION_RETRIES && isLocalContention(e)) {
          this.contentionRetries++;
          await sleep(backoffDelay(attempt, TRANSACTION_BACKOFF));
          continue;
        }
        // The server was restarted under a pooled connection (found by the 60 s partition drill): the
        // transaction never reached it, so it runs again once the server answers (up to about 5 s).
        if (attempt < 25 && isDeadConnection(e)) {
          await sleep(200);
          continue;
        }
        throw storageError(e, what);
      }
    }
  }

  private async event(tx: Tx, issueId: string | null, kind: string, at: string, data: Record<string, unknown>, actor = this.actor): Promise<void> {
    await insertEvents(tx, [{ issueId, kind, actor, at, data }]);
  }

  private async labelsOf(db: Db | Tx, ids: readonly string[]): Promise<Map<string, LabelSet>> {
    const out = new Map<string, { labels: string[]; changedAt: number }>();
    if (ids.length === 0) return out;
    const placeholders = ids.map(() => '?').join(', ');
    // Removed labels too: their tombstone's clock is when the issue's labels last changed.
    const r = await rows<{ issue_id: string; label: string; deleted: number; deleted_clk: string | null }>(db,
      `SELECT issue_id, label, deleted, deleted_clk FROM labels WHERE issue_id IN (${placeholders}) ORDER BY label`, ids);
    for (const x of r) {
      const set = out.get(x.issue_id) ?? { labels: [], changedAt: 0 };
      if (Number(x.deleted) === 0) set.labels.push(x.label);
      set.changedAt = Math.max(set.changedAt, stampWall(x.deleted_clk) ?? 0);
      out.set(x.issue_id, set);
    }
    return out;
  }

  private async rowOf(db: Db | Tx, id: string, includeDeleted = false): Promise<IssueRow> {
    validId(id, this.ctx.prefix);
    const r = await rows<IssueRow>(db, `${SELECT_ISSUE} WHERE i.id = ?`, [id]);
    const row = r[0];
    if (!row) throw new GravaError('GRAVA_E_NOT_FOUND', `no issue ${id}`, { id });
    if (!includeDeleted && Number(row.deleted) === 1) throw new GravaError('GRAVA_E_NOT_FOUND', `issue ${id} was deleted`, { id, deleted: true });
    return row;
  }

  async get(id: string): Promise<Issue> {
    const row = await this.rowOf(this.db, id);
    return toIssue(row, (await this.labelsOf(this.db, [id])).get(id) ?? NO_LABELS);
  }

  async show(id: string): Promise<IssueDetail> {
    const issue = await this.get(id);
    type RefRow = { id: string; type: string; title: string | null; status: string | null; priority: number | null; issue_type: string | null; assignee: string | null };
    const deps = await rows<RefRow>(this.db,
      'SELECT d.depends_on AS id, d.type, i.title, i.status, i.priority, i.type AS issue_type, i.assignee FROM dependencies d LEFT JOIN issues i ON i.id = d.depends_on WHERE d.issue_id = ? AND d.deleted = 0 ORDER BY d.depends_on', [id]);
    const dependents = await rows<RefRow>(this.db,
      'SELECT d.issue_id AS id, d.type, i.title, i.status, i.priority, i.type AS issue_type, i.assignee FROM dependencies d LEFT JOIN issues i ON i.id = d.issue_id WHERE d.depends_on = ? AND d.deleted = 0 AND i.deleted = 0 ORDER BY d.issue_id', [id]);
    const comments = await rows<Comment>(this.db, 'SELECT id, issue_id, author, body, created_at FROM comments WHERE issue_id = ? ORDER BY created_at, id', [id]);
    const ref = (d: RefRow): DependencyRef => ({
      id: d.id, type: d.type, title: d.title, status: d.status,
      priority: d.priority === null ? null : Number(d.priority), issue_type: d.issue_type, assignee: d.assignee ?? null,
    });
    return { ...issue, dependencies: deps.map(ref), dependents: dependents.map(ref), comments };
  }

  /** Issues matching the filter (deleted ones left out), most urgent first, oldest first within a priority. */
  async list(filter: ListFilter = {}, opts: ReadOptions = {}): Promise<Issue[]> {
    const w = listWhere(filter);
    const limit = filter.limit !== undefined && filter.limit > 0 ? ` LIMIT ${Math.floor(filter.limit)}` : '';
    // The database hash (for the counts cache) is read side by side with the issues.
    const [r, hash] = await Promise.all([
      rows<IssueRow>(this.db, `${SELECT_ISSUE} WHERE ${w.sql} ORDER BY i.priority, i.created_at, i.id${limit}`, w.args),
      opts.counts ? countsHash(this.db) : undefined,
    ]);
    return this.withLabels(r, opts, hash);
  }

  /** The issues with their labels and, on request, their relation counts (read side by side). */
  private async withLabels(r: readonly IssueRow[], opts: ReadOptions = {}, hash?: string): Promise<(Issue & Partial<RelationCounts>)[]> {
    const ids = r.map((x) => String(x.id));
    const [labels, counts] = await Promise.all([this.labelsOf(this.db, ids), opts.counts ? this.countsOf(ids, hash) : undefined]);
    return r.map((x) => ({ ...toIssue(x, labels.get(String(x.id)) ?? NO_LABELS), ...counts?.get(String(x.id)) }));
  }

  /** Relation counts computed at one state of the tables they come from, reused while it holds. */
  private countsCache: { hash: string; byId: Map<string, RelationCounts> } | undefined;

  /**
   * Relation counts, cached by the hashes of the two tables they are counted
   * from: agents poll `bd ready` and `bd list` between writes, and most
   * writes (status, priority, claims) touch neither table. Any change to
   * them, from this process or any other, changes the key. The hashes cost
   * under 1 ms; the counts about 3.
   */
  private async countsOf(ids: readonly string[], known?: string): Promise<Map<string, RelationCounts>> {
    const hash = known ?? (await countsHash(this.db));
    if (this.countsCache?.hash !== hash) this.countsCache = { hash, byId: new Map() };
    const cache = this.countsCache;
    const missing = ids.filter((id) => !cache.byId.has(id));
    if (missing.length > 0) for (const [id, c] of await relationCounts(this.db, missing)) cache.byId.set(id, c);
    // Bounded: a cache for one state never holds more than the issues asked about since it changed.
    if (cache.byId.size > 50_000) this.countsCache = undefined;
    return new Map(ids.map((id) => [id, cache.byId.get(id)!]));
  }

  /**
   * Work that can start now: open issues, and issues in progress under an
   * expired lease, that no unclosed issue blocks and that are not deferred
   * to a later time. The filter narrows it further (status is ignored).
   */
  async ready(filter: ListFilter = {}, opts: ReadOptions = {}): Promise<Issue[]> {
    // Ready work has its own statuses and its limit applies after the lease check.
    const w = listWhere(Object.fromEntries(Object.entries(filter).filter(([k]) => !['status', 'statuses', 'limit'].includes(k))));
    const r = await rows<IssueRow>(this.db, `${SELECT_ISSUE}
      WHERE ${w.sql} AND i.status IN ('open', 'in_progress') AND NOT EXISTS (${OPEN_BLOCKER})
      ORDER BY i.priority, i.created_at, i.id`, w.args);
    const now = Date.now();
    const leases = await this.leasesOf(this.db, r.filter((x) => x.status !== 'open' && x.assignee));
    const ready = r.filter((x) => {
      if (x.defer_until && Date.parse(String(x.defer_until)) > now) return false;
      if (x.status === 'open') return true;
      const until = leases.get(String(x.id)) ?? null;
      return until !== null && until <= now;
    });
    return this.withLabels(filter.limit !== undefined && filter.limit > 0 ? ready.slice(0, filter.limit) : ready, opts);
  }

  /** Issues that are not closed and that a not-closed issue blocks, with their blockers. */
  async blocked(): Promise<BlockedIssue[]> {
    const blockers = await openBlockers(this.db);
    if (blockers.size === 0) return [];
    const ids = [...blockers.keys()];
    const r = await rows<IssueRow>(this.db, `${SELECT_ISSUE} WHERE i.id IN (${ids.map(() => '?').join(', ')}) ORDER BY i.priority, i.created_at, i.id`, ids);
    return (await this.withLabels(r)).map((i) => ({ ...i, blocked_by: blockers.get(i.id) ?? [] }));
  }

  async stats(): Promise<IssueStats> {
    const r = await rows<{ status: string; type: string; priority: number; assignee: string | null; n: number }>(this.db,
      'SELECT status, type, priority, assignee, COUNT(*) AS n FROM issues WHERE deleted = 0 GROUP BY status, type, priority, assignee');
    const byStatus: Record<string, number> = {};
    const byType: Record<string, number> = {};
    const byPriority: Record<string, number> = {};
    const byAssignee: Record<string, number> = {};
    let total = 0;
    for (const x of r) {
      const n = Number(x.n);
      total += n;
      byStatus[x.status] = (byStatus[x.status] ?? 0) + n;
      byType[x.type] = (byType[x.type] ?? 0) + n;
      byPriority[`P${x.priority}`] = (byPriority[`P${x.priority}`] ?? 0) + n;
      const who = x.assignee ? x.assignee : '(unassigned)';
      byAssignee[who] = (byAssignee[who] ?? 0) + n;
    }
    const blockedIds = new Set((await openBlockers(this.db)).keys());
    // Lead time: from creation to the stamp of the closing write, over closed issues.
    const closed = await rows<{ created_at: string; status_clk: string | null }>(this.db, "SELECT created_at, status_clk FROM issues WHERE deleted = 0 AND status = 'closed'");
    const leads = closed.map((c) => ((stampWall(c.status_clk) ?? Date.parse(c.created_at)) - Date.parse(c.created_at)) / 3_600_000).filter((h) => Number.isFinite(h) && h >= 0);
    // Epics not closed whose children (parent-child dependents) are all closed.
    const epics = await rows<{ n: number }>(this.db, `SELECT COUNT(*) AS n FROM issues e WHERE e.deleted = 0 AND e.type = 'epic' AND e.status <> 'closed'
      AND EXISTS (SELECT 1 FROM dependencies d JOIN issues c ON c.id = d.issue_id WHERE d.depends_on = e.id AND d.type = 'parent-child' AND d.deleted = 0 AND c.deleted = 0)
      AND NOT EXISTS (SELECT 1 FROM dependencies d JOIN issues c ON c.id = d.issue_id WHERE d.depends_on = e.id AND d.type = 'parent-child' AND d.deleted = 0 AND c.deleted = 0 AND c.status <> 'closed')`);
    return {
      total,
      open: byStatus.open ?? 0,
      in_progress: byStatus.in_progress ?? 0,
      blocked: byStatus.blocked ?? 0,
      deferred: byStatus.deferred ?? 0,
      closed: byStatus.closed ?? 0,
      blocked_by_dependencies: blockedIds.size,
      ready: (await this.ready()).length,
      average_lead_time_hours: leads.length === 0 ? 0 : Math.round((leads.reduce((a, b) => a + b, 0) / leads.length) * 100) / 100,
      epics_eligible_for_closure: Number(epics[0]?.n ?? 0),
      by_type: byType,
      by_priority: byPriority,
      by_assignee: byAssignee,
    };
  }

  async create(input: CreateIssueInput): Promise<Issue> {
    const title = validTitle(input.title);
    const description = validText('the description', input.description ?? '');
    const priority = validPriority(input.priority ?? 2);
    const type = validType(input.type ?? 'task');
    const status = validStatus(input.status ?? 'open');
    if (status === 'closed') throw new GravaError('GRAVA_E_INVALID', 'an issue cannot be created closed; create it, then close it with a reason');
    const assignee = input.assignee === undefined ? null : validAssignee(input.assignee);
    const labels = [...new Set((input.labels ?? []).map(validLabel))];
    const extras = extraCells(input);
    const deps = (input.dependencies ?? []).map((d) => ({ depends_on: validId(d.depends_on, this.ctx.prefix), type: validDepType(d.type) }));
    const row = await this.tx('create failed', async (tx) => {
      // Every dependency target exists, or nothing is created.
      for (const d of deps) await this.rowOf(tx, d.depends_on);
      let len = idLength(await this.issueCount(tx), this.ctx.minIdLength);
      const at = this.ctx.clock.next();
      const createdAt = iso(stampWall(at) ?? Date.now());
      const values: Record<string, unknown> = {
        id: '', created_at: createdAt, created_by: this.actor, title, description, status, priority, type, assignee, close_reason: null, deleted: 0,
        design: null, acceptance_criteria: null, notes: null, external_ref: null, estimated_minutes: null, due_at: null, defer_until: null, ...extras,
      };
      for (const c of ISSUES.clocked) values[clockColumn(c)] = at;
      const cols = Object.keys(values);
      // The primary key is the collision check: a taken id fails the INSERT, and a longer one is drawn.
      for (;;) {
        values.id = hashId(this.ctx.prefix, len, this.actor, Date.now());
        try {
          await exec(tx, `INSERT INTO issues (${cols.map((c) => `\`${c}\``).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, Object.values(values));
          break;
        } catch (e) {
          if ((e as { errno?: number }).errno !== 1062 || len >= 16) throw e;
          len++;
        }
      }
      this.knownCount = (this.knownCount ?? 0) + 1;
      const newId = String(values.id);
      for (const label of labels) await exec(tx, 'INSERT INTO labels (issue_id, label, created_at, created_by, deleted, deleted_clk) VALUES (?, ?, ?, ?, 0, ?)', [newId, label, createdAt, this.actor, at]);
      for (const d of deps) {
        await exec(tx, 'INSERT INTO dependencies (issue_id, depends_on, created_at, created_by, type, type_clk, deleted, deleted_clk) VALUES (?, ?, ?, ?, ?, ?, 0, ?)', [newId, d.depends_on, createdAt, this.actor, d.type, at, at]);
      }
      await this.event(tx, newId, 'created', at, { title, priority, type, assignee, labels, ...extras, ...(deps.length > 0 ? { dependencies: deps } : {}) });
      return values as IssueRow;
    });
    // The row as written: no second read (labels sorted as a read would return them).
    return toIssue(row, { labels: [...labels].sort(), changedAt: 0 });
  }

  /** Writes the given cells of one issue, stamping each changed cell. Returns the changes. */
  private async writeCells(tx: Tx, row: IssueRow, cells: Record<string, string | number | null>, kind: string): Promise<Record<string, [unknown, unknown]>> {
    const changes: Record<string, [unknown, unknown]> = {};
    const sets: string[] = [];
    const args: unknown[] = [];
    let at = '';
    for (const [c, v] of Object.entries(cells)) {
      if (row[c] === v) continue;
      const stamp = this.ctx.clock.next(row[clockColumn(c)] as string | null);
      at = stamp;
      changes[c] = [row[c], v];
      sets.push(`\`${c}\` = ?`, `\`${clockColumn(c)}\` = ?`);
      args.push(v, stamp);
    }
    if (sets.length === 0) return changes;
    await exec(tx, `UPDATE issues SET ${sets.join(', ')} WHERE id = ?`, [...args, row.id]);
    await this.event(tx, String(row.id), kind, at, { changes });
    return changes;
  }

  async update(id: string, input: UpdateIssueInput): Promise<Issue> {
    const cells: Record<string, string | number | null> = {};
    if (input.title !== undefined) cells.title = validTitle(input.title);
    if (input.description !== undefined) cells.description = validText('the description', input.description);
    if (input.status !== undefined) cells.status = validStatus(input.status);
    if (input.priority !== undefined) cells.priority = validPriority(input.priority);
    if (input.type !== undefined) cells.type = validType(input.type);
    if (input.assignee !== undefined) cells.assignee = input.assignee === null ? null : validAssignee(input.assignee);
    if (cells.status !== undefined && cells.status !== 'closed') cells.close_reason = null;
    Object.assign(cells, extraCells(input));
    const append = input.append_notes !== undefined ? validText('the notes', input.append_notes) : undefined;
    if (append !== undefined && cells.notes !== undefined) throw new GravaError('GRAVA_E_INVALID', 'set the notes or append to them, not both');
    await this.tx('update failed', async (tx) => {
      const row = await this.rowOf(tx, id);
      // Appending reads the notes in the same transaction that writes them.
      if (append !== undefined) cells.notes = validText('the notes', row.notes ? `${String(row.notes)}\n${append}` : append);
      return this.writeCells(tx, row, cells, 'updated');
    });
    return this.get(id);
  }

  /**
   * Assigns the issue to this actor and sets it in progress if the claim
   * rule (claims.ts) allows it. The check and the write are one conditional
   * UPDATE in one transaction, so of two concurrent claimers in one replica
   * exactly one wins. A claim by the current holder changes nothing.
   * Across the fleet, src/transport/claim.ts runs this on the central's head.
   */
  async claim(id: string, opts: { offline?: boolean; leaseMs?: number; as?: string } = {}): Promise<Issue & { changed: boolean; lease_until: string | null }> {
    let leaseUntil: string | null = null;
    // The central's merge service claims on behalf of an agent (`as`): the issue goes to that agent, the
    // stamps are the central's own (two clocks must never stamp for one actor), the event names the agent.
    const actor = opts.as ?? this.actor;
    const changed = await this.tx('claim failed', async (tx) => {
      const row = await this.rowOf(tx, id);
      const now = Date.now();
      const holderLease = row.assignee && row.assignee !== actor ? await this.leaseOf(tx, id, String(row.assignee)) : null;
      const v = claimVerdict(row, actor, { leaseUntil: holderLease, now });
      if (v.kind === 'held') return false;
      if (v.kind === 'refused') throw new GravaError('GRAVA_E_CONFLICT', `issue ${id} ${v.reason}`, { id, assignee: v.holder, status: row.status });
      // An offline claim is stamped weak: it loses to anything that reached the central since (MERGE_SPEC §13a).
      const stamp = (after: string | null): string => (opts.offline ? this.ctx.clock.weak(after) : this.ctx.clock.next(after));
      const assigneeAt = stamp(row.assignee_clk as string | null);
      const statusAt = stamp(row.status_clk as string | null);
      // The condition repeats the verdict's: the holder seen above (an expired lease), nobody, or this actor.
      const r = await exec(tx,
        "UPDATE issues SET assignee = ?, assignee_clk = ?, status = 'in_progress', status_clk = ? WHERE id = ? AND deleted = 0 AND status IN ('open', 'in_progress') AND (assignee IS NULL OR assignee = '' OR assignee = ? OR assignee = ?)",
        [actor, assigneeAt, statusAt, id, actor, row.assignee ?? '']);
      if (r.affectedRows !== 1) {
        const now = await this.rowOf(tx, id);
        throw new GravaError('GRAVA_E_CONFLICT', `issue ${id} is already claimed by ${String(now.assignee)}`, { id, assignee: now.assignee });
      }
      leaseUntil = opts.leaseMs !== undefined ? new Date(now + opts.leaseMs).toISOString() : null;
      await this.event(tx, id, 'claimed', this.ctx.clock.next(), {
        offline: opts.offline === true, lease_until: leaseUntil,
        ...(holderLease !== null ? { expired_claim_of: row.assignee } : {}),
        changes: { assignee: [row.assignee, actor], status: [row.status, 'in_progress'] },
        ...(opts.as !== undefined ? { decided_by: this.actor } : {}),
      }, actor);
      return true;
    });
    if (!changed) leaseUntil = await this.leaseOf(this.db, id, actor).then((ms) => (ms === null ? null : new Date(ms).toISOString()));
    return { ...(await this.get(id)), changed, lease_until: leaseUntil };
  }

  /** When `holder`'s newest claim of the issue expires (ms), or null for a claim without a lease. */
  private async leaseOf(db: Db | Tx, id: string, holder: string): Promise<number | null> {
    return (await this.leasesOf(db, [{ id, assignee: holder }])).get(id) ?? null;
  }

  /** For each issue, when its assignee's newest claim expires (ms, or null without a lease): one query for all. */
  private async leasesOf(db: Db | Tx, issues: readonly IssueRow[]): Promise<Map<string, number | null>> {
    const out = new Map<string, number | null>();
    if (issues.length === 0) return out;
    const holder = new Map(issues.map((x) => [String(x.id), String(x.assignee)]));
    const r = await rows<{ issue_id: string; actor: string; data: string }>(db,
      `SELECT issue_id, actor, data FROM events WHERE kind = 'claimed' AND issue_id IN (${issues.map(() => '?').join(', ')}) ORDER BY at DESC`, [...holder.keys()]);
    for (const e of r) {
      if (out.has(e.issue_id) || holder.get(e.issue_id) !== e.actor) continue;
      let until: string | null | undefined;
      try { until = (JSON.parse(e.data) as { lease_until?: string | null }).lease_until; } catch { until = null; }
      out.set(e.issue_id, until ? Date.parse(until) : null);
    }
    return out;
  }

  /** Records an event about an issue (for example a lost claim found by a sync). */
  async note(issueId: string | null, kind: string, data: Record<string, unknown>): Promise<void> {
    await this.tx('recording an event failed', async (tx) => this.event(tx, issueId, kind, this.ctx.clock.next(), data));
  }

  /** Gives a claim back: assignee cleared, status open. Only the holder, unless `force`. */
  async unclaim(id: string, force = false): Promise<Issue> {
    await this.tx('unclaim failed', async (tx) => {
      const row = await this.rowOf(tx, id);
      const v = unclaimVerdict(row, this.actor, force);
      if (v.kind === 'refused') throw new GravaError('GRAVA_E_CONFLICT', `issue ${id} ${v.reason}`, { id, assignee: v.holder });
      const cells: Record<string, string | null> = { assignee: null };
      if (row.status === 'in_progress') cells.status = 'open';
      await this.writeCells(tx, row, cells, 'unclaimed');
    });
    return this.get(id);
  }

  /**
   * Closes an issue with a reason ("Closed" when none is given). Closing an
   * issue that is already closed changes nothing: its first reason and
   * closing time stay (`changed: false`).
   */
  async close(id: string, reason?: string): Promise<Issue & { changed: boolean }> {
    const why = reason === undefined || reason.trim() === '' ? DEFAULT_CLOSE_REASON : validText('the reason', reason);
    const changed = await this.tx('close failed', async (tx) => {
      const row = await this.rowOf(tx, id);
      if (row.status === 'closed') return false;
      await this.writeCells(tx, row, { status: 'closed', close_reason: why }, 'closed');
      return true;
    });
    return { ...(await this.get(id)), changed };
  }

  async reopen(id: string): Promise<Issue> {
    await this.tx('reopen failed', async (tx) => this.writeCells(tx, await this.rowOf(tx, id), { status: 'open', close_reason: null }, 'reopened'));
    return this.get(id);
  }

  /**
   * Leaves a tombstone: the row stays, marked deleted, so the delete merges
   * like any other cell. With `unlink`, the issue's dependencies in both
   * directions are removed in the same transaction (as beads does).
   */
  async delete(id: string, opts: { unlink?: boolean } = {}): Promise<{ id: string; deleted: true; dependencies_removed: number }> {
    const removed = await this.tx('delete failed', async (tx) => {
      await this.writeCells(tx, await this.rowOf(tx, id), { deleted: 1 }, 'deleted');
      if (!opts.unlink) return 0;
      const links = await rows<{ issue_id: string; depends_on: string; deleted_clk: string | null }>(tx,
        'SELECT issue_id, depends_on, deleted_clk FROM dependencies WHERE deleted = 0 AND (issue_id = ? OR depends_on = ?)', [id, id]);
      for (const l of links) {
        const at = this.ctx.clock.next(l.deleted_clk);
        await exec(tx, 'UPDATE dependencies SET deleted = 1, deleted_clk = ? WHERE issue_id = ? AND depends_on = ?', [at, l.issue_id, l.depends_on]);
        await this.event(tx, l.issue_id, 'dependency_removed', at, { depends_on: l.depends_on, because: `${id} was deleted` });
      }
      return links.length;
    });
    return { id, deleted: true, dependencies_removed: removed };
  }

  private async wouldCycle(tx: Tx, from: string, to: string): Promise<boolean> {
    // Adding from -> to closes a cycle if `to` already reaches `from`.
    const seen = new Set<string>([to]);
    let frontier = [to];
    while (frontier.length > 0) {
      const placeholders = frontier.map(() => '?').join(', ');
      const next = await rows<{ depends_on: string }>(tx, `SELECT depends_on FROM dependencies WHERE deleted = 0 AND type = 'blocks' AND issue_id IN (${placeholders})`, frontier);
      frontier = [];
      for (const { depends_on } of next) {
        if (depends_on === from) return true;
        if (!seen.has(depends_on)) { seen.add(depends_on); frontier.push(depends_on); }
      }
    }
    return false;
  }

  async addDependency(id: string, dependsOn: string, type = 'blocks'): Promise<{ issue_id: string; depends_on: string; type: string }> {
    const depType = validDepType(type);
    validId(id, this.ctx.prefix);
    validId(dependsOn, this.ctx.prefix);
    if (id === dependsOn) throw new GravaError('GRAVA_E_INVALID', `issue ${id} cannot depend on itself`);
    await this.tx('adding the dependency failed', async (tx) => {
      await this.rowOf(tx, id);
      await this.rowOf(tx, dependsOn);
      if (depType === 'blocks' && (await this.wouldCycle(tx, id, dependsOn))) {
        throw new GravaError('GRAVA_E_INVALID', `adding ${id} -> ${dependsOn} would make a cycle of blocking dependencies`);
      }
      const existing = (await rows<{ type: string; type_clk: string | null; deleted: number; deleted_clk: string | null }>(tx, 'SELECT type, type_clk, deleted, deleted_clk FROM dependencies WHERE issue_id = ? AND depends_on = ?', [id, dependsOn]))[0];
      let at: string;
      if (!existing) {
        at = this.ctx.clock.next();
        await exec(tx, 'INSERT INTO dependencies (issue_id, depends_on, created_at, created_by, type, type_clk, deleted, deleted_clk) VALUES (?, ?, ?, ?, ?, ?, 0, ?)', [id, dependsOn, iso(Date.now()), this.actor, depType, at, at]);
      } else {
        if (Number(existing.deleted) === 0 && existing.type === depType) return;
        const sets: string[] = [];
        const args: unknown[] = [];
        at = '';
        if (existing.type !== depType) { at = this.ctx.clock.next(existing.type_clk); sets.push('type = ?', 'type_clk = ?'); args.push(depType, at); }
        if (Number(existing.deleted) !== 0) { at = this.ctx.clock.next(existing.deleted_clk); sets.push('deleted = 0', 'deleted_clk = ?'); args.push(at); }
        await exec(tx, `UPDATE dependencies SET ${sets.join(', ')} WHERE issue_id = ? AND depends_on = ?`, [...args, id, dependsOn]);
      }
      await this.event(tx, id, 'dependency_added', at, { depends_on: dependsOn, type: depType });
    });
    return { issue_id: id, depends_on: dependsOn, type: depType };
  }

  async removeDependency(id: string, dependsOn: string): Promise<{ issue_id: string; depends_on: string; removed: true }> {
    validId(id, this.ctx.prefix);
    validId(dependsOn, this.ctx.prefix);
    await this.tx('removing the dependency failed', async (tx) => {
      const existing = (await rows<{ deleted: number; deleted_clk: string | null }>(tx, 'SELECT deleted, deleted_clk FROM dependencies WHERE issue_id = ? AND depends_on = ?', [id, dependsOn]))[0];
      if (!existing || Number(existing.deleted) !== 0) throw new GravaError('GRAVA_E_NOT_FOUND', `${id} does not depend on ${dependsOn}`, { id, depends_on: dependsOn });
      const at = this.ctx.clock.next(existing.deleted_clk);
      await exec(tx, 'UPDATE dependencies SET deleted = 1, deleted_clk = ? WHERE issue_id = ? AND depends_on = ?', [at, id, dependsOn]);
      await this.event(tx, id, 'dependency_removed', at, { depends_on: dependsOn });
    });
    return { issue_id: id, depends_on: dependsOn, removed: true };
  }

  async addLabel(id: string, label: string): Promise<Issue> {
    const l = validLabel(label);
    await this.tx('adding the label failed', async (tx) => {
      await this.rowOf(tx, id);
      const existing = (await rows<{ deleted: number; deleted_clk: string | null }>(tx, 'SELECT deleted, deleted_clk FROM labels WHERE issue_id = ? AND label = ?', [id, l]))[0];
      if (existing && Number(existing.deleted) === 0) return;
      const at = this.ctx.clock.next(existing?.deleted_clk ?? null);
      if (existing) await exec(tx, 'UPDATE labels SET deleted = 0, deleted_clk = ? WHERE issue_id = ? AND label = ?', [at, id, l]);
      else await exec(tx, 'INSERT INTO labels (issue_id, label, created_at, created_by, deleted, deleted_clk) VALUES (?, ?, ?, ?, 0, ?)', [id, l, iso(Date.now()), this.actor, at]);
      await this.event(tx, id, 'label_added', at, { label: l });
    });
    return this.get(id);
  }

  async removeLabel(id: string, label: string): Promise<Issue> {
    const l = validLabel(label);
    await this.tx('removing the label failed', async (tx) => {
      await this.rowOf(tx, id);
      const existing = (await rows<{ deleted: number; deleted_clk: string | null }>(tx, 'SELECT deleted, deleted_clk FROM labels WHERE issue_id = ? AND label = ?', [id, l]))[0];
      if (!existing || Number(existing.deleted) !== 0) throw new GravaError('GRAVA_E_NOT_FOUND', `issue ${id} has no label ${JSON.stringify(l)}`, { id, label: l });
      const at = this.ctx.clock.next(existing.deleted_clk);
      await exec(tx, 'UPDATE labels SET deleted = 1, deleted_clk = ? WHERE issue_id = ? AND label = ?', [at, id, l]);
      await this.event(tx, id, 'label_removed', at, { label: l });
    });
    return this.get(id);
  }

  async comment(id: string, body: string): Promise<Comment> {
    const text = validText('the comment', body);
    if (text.trim().length === 0) throw new GravaError('GRAVA_E_INVALID', 'the comment must not be empty');
    const commentId = rowId('cm');
    const createdAt = iso(Date.now());
    await this.tx('commenting failed', async (tx) => {
      await this.rowOf(tx, id);
      const at = this.ctx.clock.next();
      await exec(tx, 'INSERT INTO comments (id, issue_id, author, body, created_at) VALUES (?, ?, ?, ?, ?)', [commentId, id, this.actor, text, createdAt]);
      await this.event(tx, id, 'commented', at, { comment_id: commentId });
    });
    return { id: commentId, issue_id: id, author: this.actor, body: text, created_at: createdAt };
  }
}
