// Issues, dependencies, labels and comments. Every mutation runs in one SQL
// transaction that also appends its event, and stamps the clock of every cell
// it changes (see docs/MERGE_SPEC.md).

import { GravaError } from '../../errors/grava-error.js';
import { clockColumn, columnsOf, ISSUES } from '../../merge/tables.js';
import type { Clock } from './clock-store.js';
import { stampWall } from './clock-store.js';
import { exec, isSerializationFailure, rows, storageError, type Db, type Tx } from '../dolt/db.js';
import { hashId, idLength, rowId } from './ids.js';
import { claimVerdict, unclaimVerdict } from './claims.js';
import type { Comment, CreateIssueInput, DependencyRef, Issue, IssueDetail, ListFilter, UpdateIssueInput } from './issue-types.js';
import {
  validAssignee, validDepType, validId, validLabel, validPriority, validStatus, validText, validTitle, validType,
} from './validate.js';

type IssueRow = Record<string, string | number | null>;

const SELECT_ISSUE = `SELECT ${columnsOf(ISSUES).map((c) => `i.\`${c}\``).join(', ')} FROM issues i`;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function toIssue(r: IssueRow, labels: readonly string[]): Issue {
  const walls = ISSUES.clocked.map((c) => stampWall(r[clockColumn(c)] as string | null) ?? 0);
  const updated = Math.max(...walls);
  return {
    id: String(r.id),
    title: String(r.title),
    description: String(r.description),
    status: String(r.status),
    priority: Number(r.priority),
    type: String(r.type),
    assignee: (r.assignee as string | null) ?? null,
    labels,
    close_reason: (r.close_reason as string | null) ?? null,
    created_at: String(r.created_at),
    created_by: String(r.created_by),
    updated_at: updated > 0 ? iso(updated) : String(r.created_at),
  };
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
        if (attempt < 4 && isSerializationFailure(e)) {
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (attempt + 1)));
          continue;
        }
        throw storageError(e, what);
      }
    }
  }

  private async event(tx: Tx, issueId: string | null, kind: string, at: string, data: Record<string, unknown>): Promise<void> {
    await exec(tx, 'INSERT INTO events (id, issue_id, kind, actor, at, data) VALUES (?, ?, ?, ?, ?, ?)', [rowId('ev'), issueId, kind, this.actor, at, JSON.stringify(data)]);
  }

  private async labelsOf(db: Db | Tx, ids: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (ids.length === 0) return out;
    const placeholders = ids.map(() => '?').join(', ');
    const r = await rows<{ issue_id: string; label: string }>(db, `SELECT issue_id, label FROM labels WHERE deleted = 0 AND issue_id IN (${placeholders}) ORDER BY label`, ids);
    for (const { issue_id, label } of r) out.set(issue_id, [...(out.get(issue_id) ?? []), label]);
    return out;
  }

  private async rowOf(db: Db | Tx, id: string, includeDeleted = false): Promise<IssueRow> {
    validId(id);
    const r = await rows<IssueRow>(db, `${SELECT_ISSUE} WHERE i.id = ?`, [id]);
    const row = r[0];
    if (!row) throw new GravaError('GRAVA_E_NOT_FOUND', `no issue ${id}`, { id });
    if (!includeDeleted && Number(row.deleted) === 1) throw new GravaError('GRAVA_E_NOT_FOUND', `issue ${id} was deleted`, { id, deleted: true });
    return row;
  }

  async get(id: string): Promise<Issue> {
    const row = await this.rowOf(this.db, id);
    return toIssue(row, (await this.labelsOf(this.db, [id])).get(id) ?? []);
  }

  async show(id: string): Promise<IssueDetail> {
    const issue = await this.get(id);
    const deps = await rows<{ id: string; type: string; title: string | null; status: string | null }>(this.db,
      'SELECT d.depends_on AS id, d.type, i.title, i.status FROM dependencies d LEFT JOIN issues i ON i.id = d.depends_on WHERE d.issue_id = ? AND d.deleted = 0 ORDER BY d.depends_on', [id]);
    const dependents = await rows<{ id: string; type: string; title: string | null; status: string | null }>(this.db,
      'SELECT d.issue_id AS id, d.type, i.title, i.status FROM dependencies d LEFT JOIN issues i ON i.id = d.issue_id WHERE d.depends_on = ? AND d.deleted = 0 AND i.deleted = 0 ORDER BY d.issue_id', [id]);
    const comments = await rows<Comment>(this.db, 'SELECT id, issue_id, author, body, created_at FROM comments WHERE issue_id = ? ORDER BY created_at, id', [id]);
    const ref = (d: { id: string; type: string; title: string | null; status: string | null }): DependencyRef => ({ id: d.id, type: d.type, title: d.title, status: d.status });
    return { ...issue, dependencies: deps.map(ref), dependents: dependents.map(ref), comments };
  }

  async list(filter: ListFilter = {}): Promise<Issue[]> {
    const where = ['i.deleted = 0'];
    const args: unknown[] = [];
    if (filter.status !== undefined) { where.push('i.status = ?'); args.push(validStatus(filter.status)); }
    if (filter.assignee !== undefined) { where.push('i.assignee = ?'); args.push(filter.assignee); }
    if (filter.label !== undefined) { where.push('EXISTS (SELECT 1 FROM labels l WHERE l.issue_id = i.id AND l.label = ? AND l.deleted = 0)'); args.push(validLabel(filter.label)); }
    const r = await rows<IssueRow>(this.db, `${SELECT_ISSUE} WHERE ${where.join(' AND ')} ORDER BY i.priority, i.created_at, i.id`, args);
    const labels = await this.labelsOf(this.db, r.map((x) => String(x.id)));
    return r.map((x) => toIssue(x, labels.get(String(x.id)) ?? []));
  }

  /** Open issues that no unclosed issue blocks. */
  /** Open issues, and issues in progress under an expired lease, that no unclosed issue blocks. */
  async ready(): Promise<Issue[]> {
    const r = await rows<IssueRow>(this.db, `${SELECT_ISSUE}
      WHERE i.deleted = 0 AND i.status IN ('open', 'in_progress') AND NOT EXISTS (
        SELECT 1 FROM dependencies d JOIN issues b ON b.id = d.depends_on
        WHERE d.issue_id = i.id AND d.deleted = 0 AND d.type = 'blocks' AND b.deleted = 0 AND b.status <> 'closed')
      ORDER BY i.priority, i.created_at, i.id`);
    const now = Date.now();
    const leases = await this.leasesOf(this.db, r.filter((x) => x.status !== 'open' && x.assignee));
    const ready = r.filter((x) => {
      if (x.status === 'open') return true;
      const until = leases.get(String(x.id)) ?? null;
      return until !== null && until <= now;
    });
    const labels = await this.labelsOf(this.db, ready.map((x) => String(x.id)));
    return ready.map((x) => toIssue(x, labels.get(String(x.id)) ?? []));
  }

  async create(input: CreateIssueInput): Promise<Issue> {
    const title = validTitle(input.title);
    const description = validText('the description', input.description ?? '');
    const priority = validPriority(input.priority ?? 2);
    const type = validType(input.type ?? 'task');
    const assignee = input.assignee === undefined ? null : validAssignee(input.assignee);
    const labels = [...new Set((input.labels ?? []).map(validLabel))];
    const row = await this.tx('create failed', async (tx) => {
      let len = idLength(await this.issueCount(tx), this.ctx.minIdLength);
      const at = this.ctx.clock.next();
      const createdAt = iso(stampWall(at) ?? Date.now());
      const values: Record<string, unknown> = { id: '', created_at: createdAt, created_by: this.actor, title, description, status: 'open', priority, type, assignee, close_reason: null, deleted: 0 };
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
      await this.event(tx, newId, 'created', at, { title, priority, type, assignee, labels });
      return values as IssueRow;
    });
    // The row as written: no second read (labels sorted as a read would return them).
    return toIssue(row, [...labels].sort());
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
    await this.tx('update failed', async (tx) => this.writeCells(tx, await this.rowOf(tx, id), cells, 'updated'));
    return this.get(id);
  }

  /**
   * Assigns the issue to this actor and sets it in progress if the claim
   * rule (claims.ts) allows it. The check and the write are one conditional
   * UPDATE in one transaction, so of two concurrent claimers in one replica
   * exactly one wins. A claim by the current holder changes nothing.
   * Across the fleet, src/transport/claim.ts runs this on the central's head.
   */
  async claim(id: string, opts: { offline?: boolean; leaseMs?: number } = {}): Promise<Issue & { changed: boolean; lease_until: string | null }> {
    let leaseUntil: string | null = null;
    const changed = await this.tx('claim failed', async (tx) => {
      const row = await this.rowOf(tx, id);
      const now = Date.now();
      const holderLease = row.assignee && row.assignee !== this.actor ? await this.leaseOf(tx, id, String(row.assignee)) : null;
      const v = claimVerdict(row, this.actor, { leaseUntil: holderLease, now });
      if (v.kind === 'held') return false;
      if (v.kind === 'refused') throw new GravaError('GRAVA_E_CONFLICT', `issue ${id} ${v.reason}`, { id, assignee: v.holder, status: row.status });
      // An offline claim is stamped weak: it loses to anything that reached the central since (MERGE_SPEC §13a).
      const stamp = (after: string | null): string => (opts.offline ? this.ctx.clock.weak(after) : this.ctx.clock.next(after));
      const assigneeAt = stamp(row.assignee_clk as string | null);
      const statusAt = stamp(row.status_clk as string | null);
      // The condition repeats the verdict's: the holder seen above (an expired lease), nobody, or this actor.
      const r = await exec(tx,
        "UPDATE issues SET assignee = ?, assignee_clk = ?, status = 'in_progress', status_clk = ? WHERE id = ? AND deleted = 0 AND status IN ('open', 'in_progress') AND (assignee IS NULL OR assignee = '' OR assignee = ? OR assignee = ?)",
        [this.actor, assigneeAt, statusAt, id, this.actor, row.assignee ?? '']);
      if (r.affectedRows !== 1) {
        const now = await this.rowOf(tx, id);
        throw new GravaError('GRAVA_E_CONFLICT', `issue ${id} is already claimed by ${String(now.assignee)}`, { id, assignee: now.assignee });
      }
      leaseUntil = opts.leaseMs !== undefined ? new Date(now + opts.leaseMs).toISOString() : null;
      await this.event(tx, id, 'claimed', this.ctx.clock.next(), {
        offline: opts.offline === true, lease_until: leaseUntil,
        ...(holderLease !== null ? { expired_claim_of: row.assignee } : {}),
        changes: { assignee: [row.assignee, this.actor], status: [row.status, 'in_progress'] },
      });
      return true;
    });
    if (!changed) leaseUntil = await this.leaseOf(this.db, id, this.actor).then((ms) => (ms === null ? null : new Date(ms).toISOString()));
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
  async note(issueId: string, kind: string, data: Record<string, unknown>): Promise<void> {
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

  async close(id: string, reason?: string): Promise<Issue> {
    const cells: Record<string, string | number | null> = { status: 'closed' };
    if (reason !== undefined) cells.close_reason = validText('the reason', reason);
    await this.tx('close failed', async (tx) => this.writeCells(tx, await this.rowOf(tx, id), cells, 'closed'));
    return this.get(id);
  }

  async reopen(id: string): Promise<Issue> {
    await this.tx('reopen failed', async (tx) => this.writeCells(tx, await this.rowOf(tx, id), { status: 'open', close_reason: null }, 'reopened'));
    return this.get(id);
  }

  /** Leaves a tombstone: the row stays, marked deleted, so the delete merges like any other cell. */
  async delete(id: string): Promise<{ id: string; deleted: true }> {
    await this.tx('delete failed', async (tx) => this.writeCells(tx, await this.rowOf(tx, id), { deleted: 1 }, 'deleted'));
    return { id, deleted: true };
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
    validId(id);
    validId(dependsOn);
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
    validId(id);
    validId(dependsOn);
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
