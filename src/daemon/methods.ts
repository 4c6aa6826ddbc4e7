// Every workspace operation, described once: its params (checked with zod),
// whether it writes, and what it does on an open replica. The daemon serves
// this table over its socket; a direct-mode CLI (GRAVA_NO_DAEMON=1) runs the
// same entries in its own process. The CLI only parses flags and renders.

import { z } from 'zod';
import { GravaError } from '../errors/grava-error.js';
import type { Replica } from '../storage/replica.js';
import type { SyncResult } from '../transport/sync.js';
import type { Issue, ListFilter } from '../storage/issues/issue-types.js';
import { getSetting, listSettings, setSetting, type SettingView } from './settings.js';

export interface MethodContext {
  readonly replica: Replica;
  /** Runs a sync cycle now (through the daemon's scheduler when there is one). */
  sync(force: boolean): Promise<SyncResult & { writes?: number }>;
  /** Called after a setting changed, so the daemon applies it at once. */
  settingsChanged?(): void;
  /** Aborted when the daemon stops: a sync a request runs stops waiting for the central's queue. */
  readonly stopping?: AbortSignal;
}

interface Method<S extends z.ZodType> {
  readonly params: S;
  /** Acknowledged writes count towards the next sync's batch. */
  readonly write: boolean;
  run(ctx: MethodContext, params: z.infer<S>): Promise<unknown>;
}

function method<S extends z.ZodType>(m: Method<S>): Method<S> {
  return m;
}

const id = z.string().max(200);
const text = z.string().max(1_000_000);
const none = z.strictObject({});
const names = z.array(z.string().max(200)).max(100);

/** The fields of schema version 3; null clears one. */
const extras = {
  design: text.nullable().optional(), acceptance_criteria: text.nullable().optional(), notes: text.nullable().optional(),
  external_ref: z.string().max(1000).nullable().optional(), estimated_minutes: z.number().int().nullable().optional(),
  due_at: z.string().max(100).nullable().optional(), defer_until: z.string().max(100).nullable().optional(),
};

const listFilter = z.strictObject({
  status: z.string().max(100).optional(), statuses: names.optional(), assignee: z.string().max(200).optional(), unassigned: z.boolean().optional(),
  label: z.string().max(200).optional(), labels: names.optional(), labels_any: names.optional(), priorities: z.array(z.number().int()).max(10).optional(),
  types: names.optional(), parent: id.optional(), query: z.string().max(1000).optional(), limit: z.number().int().min(0).optional(),
  /** Adds beads' relation counts and parent to each issue. */
  with_counts: z.boolean().optional(),
});

/** The object without its undefined entries (the storage inputs use exact optional types). */
function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

function withCounts(p: z.infer<typeof listFilter>, query: (f: ListFilter, o: { counts: boolean }) => Promise<Issue[]>): Promise<Issue[]> {
  const { with_counts: counts, ...filter } = p;
  return query(defined(filter), { counts: counts === true });
}

export const METHODS = {
  'issue.create': method({
    write: true,
    params: z.strictObject({
      title: text, description: text.optional(), priority: z.number().int().optional(), type: z.string().max(100).optional(),
      assignee: z.string().max(200).optional(), labels: z.array(z.string().max(200)).max(1000).optional(), status: z.string().max(100).optional(),
      ...extras,
      dependencies: z.array(z.strictObject({ depends_on: id, type: z.string().max(100) })).max(1000).optional(),
    }),
    run: (ctx, p) => ctx.replica.issues.create(defined(p)),
  }),
  'issue.show': method({ write: false, params: z.strictObject({ id }), run: (ctx, p) => ctx.replica.issues.show(p.id) }),
  'issue.list': method({ write: false, params: listFilter, run: (ctx, p) => withCounts(p, (f, o) => ctx.replica.issues.list(f, o)) }),
  'issue.ready': method({ write: false, params: listFilter, run: (ctx, p) => withCounts(p, (f, o) => ctx.replica.issues.ready(f, o)) }),
  'issue.blocked': method({ write: false, params: none, run: (ctx) => ctx.replica.issues.blocked() }),
  'issue.stats': method({ write: false, params: none, run: (ctx) => ctx.replica.issues.stats() }),
  'issue.update': method({
    write: true,
    params: z.strictObject({
      id, title: text.optional(), description: text.optional(), status: z.string().max(100).optional(), priority: z.number().int().optional(),
      type: z.string().max(100).optional(), assignee: z.string().max(200).nullable().optional(), ...extras, append_notes: text.optional(),
    }),
    run: (ctx, p) => {
      const { id: issueId, ...rest } = p;
      const input = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
      if (Object.keys(input).length === 0) throw new GravaError('GRAVA_E_USAGE', 'nothing to update');
      return ctx.replica.issues.update(issueId, input);
    },
  }),
  'issue.claim': method({
    write: true,
    params: z.strictObject({ id, offline: z.boolean().optional(), lease_ms: z.number().int().min(1_000).max(30 * 86_400_000).optional() }),
    run: async (ctx, p) => {
      const lease = p.lease_ms !== undefined ? { leaseMs: p.lease_ms } : {};
      // With a remote, the central decides (src/transport/claim.ts); --offline claims in this replica only.
      if (!ctx.replica.config.remote) return { ...(await ctx.replica.issues.claim(p.id, lease)), decided_by: 'local' };
      if (p.offline === true) return { ...(await ctx.replica.issues.claim(p.id, { ...lease, offline: true })), decided_by: 'local' };
      const { claimFleetWide } = await import('../transport/claim.js');
      const r = await claimFleetWide(ctx.replica, p.id, ctx.stopping ? { ...lease, signal: ctx.stopping } : lease);
      return { ...r.issue, decided_by: r.decided_by, via: r.via, races: r.races };
    },
  }),
  'issue.unclaim': method({ write: true, params: z.strictObject({ id, force: z.boolean().optional() }), run: (ctx, p) => ctx.replica.issues.unclaim(p.id, p.force === true) }),
  'issue.close': method({ write: true, params: z.strictObject({ id, reason: text.optional() }), run: (ctx, p) => ctx.replica.issues.close(p.id, p.reason) }),
  'issue.reopen': method({ write: true, params: z.strictObject({ id }), run: (ctx, p) => ctx.replica.issues.reopen(p.id) }),
  'issue.delete': method({
    write: true,
    params: z.strictObject({ id, unlink: z.boolean().optional() }),
    run: (ctx, p) => ctx.replica.issues.delete(p.id, { unlink: p.unlink === true }),
  }),
  'dep.add': method({
    write: true,
    params: z.strictObject({ id, depends_on: id, type: z.string().max(100).optional() }),
    run: (ctx, p) => ctx.replica.issues.addDependency(p.id, p.depends_on, p.type),
  }),
  'dep.remove': method({ write: true, params: z.strictObject({ id, depends_on: id }), run: (ctx, p) => ctx.replica.issues.removeDependency(p.id, p.depends_on) }),
  'label.add': method({ write: true, params: z.strictObject({ id, label: z.string().max(200) }), run: (ctx, p) => ctx.replica.issues.addLabel(p.id, p.label) }),
  'label.remove': method({ write: true, params: z.strictObject({ id, label: z.string().max(200) }), run: (ctx, p) => ctx.replica.issues.removeLabel(p.id, p.label) }),
  'comment.add': method({ write: true, params: z.strictObject({ id, text }), run: (ctx, p) => ctx.replica.issues.comment(p.id, p.text) }),
  'sync': method({ write: false, params: z.strictObject({ force: z.boolean().optional() }), run: (ctx, p) => ctx.sync(p.force === true) }),
  'merge.inspect': method({
    write: false,
    params: z.strictObject({ fetch: z.boolean().optional(), ref: z.string().max(200).optional(), commit: z.string().max(200).optional(), table: z.string().max(64).optional(), id: id.optional() }),
    run: async (ctx, p) => {
      const { inspect, previewTarget, commitTarget } = await import('../storage/versioning/merge-preview.js');
      const r = ctx.replica;
      if (p.fetch) {
        const { fetchRemote } = await import('../storage/versioning/remotes.js');
        const { remoteAccess } = await import('../transport/remote-access.js');
        const { remoteCall } = await import('../transport/sync.js');
        await remoteCall(r, 'fetch', () => fetchRemote(r.db, remoteAccess(r.config).user));
        // This fetch runs outside the sync lock and may set origin/main back under a sync's record of its own
        // fetch: the next sync over git fetches again rather than trust that record.
        const { forgetFetch } = await import('../transport/git-probe.js');
        forgetFetch(r.paths);
      }
      const target = p.commit ? await commitTarget(r.db, p.commit) : await previewTarget(r.db, p.ref ?? 'origin/main');
      const rows = await inspect(r.db, target, { now: Date.now(), ...(p.table ? { table: p.table } : {}), ...(p.id ? { id: p.id } : {}) });
      return { target, rows };
    },
  }),
  'export.write': method({
    write: false,
    params: z.strictObject({ path: z.string().min(1).max(4096), unless: z.strictObject({ db_hash: z.string().max(200), file_stamp: z.string().max(200) }).optional() }),
    run: async (ctx, p) => (await import('../export/export.js')).exportTo(ctx.replica.db, p.path, p.unless),
  }),
  'import.file': method({
    write: true,
    params: z.strictObject({ path: z.string().min(1).max(4096), dry_run: z.boolean().optional() }),
    run: async (ctx, p) => {
      const { readImportFile, importRows } = await import('../export/import.js');
      const now = Date.now();
      const rows = readImportFile(p.path, now);
      return importRows(ctx.replica.db, ctx.replica.clock, p.path, rows, { dryRun: p.dry_run === true, now });
    },
  }),
  'config.list': method({ write: false, params: none, run: (ctx): Promise<SettingView[]> => Promise.resolve(listSettings(ctx.replica.paths)) }),
  'config.get': method({ write: false, params: z.strictObject({ key: z.string().max(100) }), run: (ctx, p) => Promise.resolve(getSetting(ctx.replica.paths, p.key)) }),
  'config.set': method({
    write: false,
    params: z.strictObject({ key: z.string().max(100), value: z.string().max(100) }),
    run: (ctx, p) => {
      const view = setSetting(ctx.replica.paths, p.key, p.value);
      ctx.settingsChanged?.();
      return Promise.resolve(view);
    },
  }),
} as const;

export type MethodName = keyof typeof METHODS;

export function isMethod(name: string): name is MethodName {
  return Object.hasOwn(METHODS, name);
}

/** Checks the params against the method's schema; a mismatch is GRAVA_E_PROTOCOL naming the field. */
export function checkParams(name: MethodName, params: unknown): unknown {
  const r = METHODS[name].params.safeParse(params);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const where = first && first.path.length > 0 ? `params.${first.path.join('.')}` : 'params';
  throw new GravaError('GRAVA_E_PROTOCOL', `${name}: ${where}: ${first?.message ?? 'invalid'}`, { method: name });
}

export async function runMethod(ctx: MethodContext, name: string, params: unknown): Promise<unknown> {
  if (!isMethod(name)) throw new GravaError('GRAVA_E_PROTOCOL', `unknown method ${JSON.stringify(name.slice(0, 64))}`);
  const checked = checkParams(name, params);
  const m = METHODS[name] as Method<z.ZodType>;
  return m.run(ctx, checked);
}
