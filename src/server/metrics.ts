// Prometheus text exposition (format 0.0.4) of the central server's own
// metrics. Pure: the figures come in as a snapshot, time as `nowMs`.

import type { SlotStats } from './remote-slots.js';

export type MetricType = 'gauge' | 'counter';

export interface MetricSample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly MetricSample[];
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function renderMetrics(families: readonly MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    if (!NAME.test(f.name)) throw new Error(`invalid metric name ${JSON.stringify(f.name)}`);
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {});
      for (const [k] of labels) if (!LABEL.test(k)) throw new Error(`invalid label name ${JSON.stringify(k)} on ${f.name}`);
      const l = labels.length > 0 ? `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}` : '';
      out.push(`${f.name}${l} ${formatValue(s.value)}`);
    }
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

export type BackupOutcome = 'success' | 'failure';

export interface MetricsSnapshot {
  readonly nowMs: number;
  readonly supervisorStartedAtMs: number;
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, boolean>>;
  readonly doltUp: boolean;
  readonly doltRestarts: number;
  readonly backupIntervalSeconds: number;
  readonly lastBackupSuccessAtMs: number | null;
  readonly lastBackupOutcome: BackupOutcome | null;
  readonly backupSuccesses: number;
  readonly backupFailures: number;
  readonly databaseSizeBytes: number | null;
  readonly mainCommits: number | null;
  readonly diskFreeBytes: number | null;
  readonly doltMetricsUp: boolean;
  /** The merge queue's figures (server/merge-queue.ts); absent in snapshots that have none. */
  readonly queue?: {
    readonly depth: number;
    readonly oldestWaitMs: number;
    readonly merged: number;
    readonly upToDate: number;
    readonly mainMoved: number;
    readonly refused: number;
    readonly failures: number;
    readonly lastMergeMs: number | null;
    readonly mainRestored: number;
    readonly claims: number;
  };
  /** The turns for workspaces' Dolt fetches and pushes (server/remote-slots.ts); absent in snapshots that have none. */
  readonly slots?: SlotStats;
}

const gauge = (name: string, help: string, value: number, labels?: Record<string, string>): MetricFamily => ({ name, help, type: 'gauge', samples: [labels ? { labels, value } : { value }] });

/** grava's own metric families. A figure that could not be read is left out rather than reported as 0. */
export function centralMetricFamilies(s: MetricsSnapshot): MetricFamily[] {
  const families: MetricFamily[] = [
    gauge('grava_ready', '1 when SQL answers, the remotesapi port accepts connections and the disk has room', s.ready ? 1 : 0),
    {
      name: 'grava_ready_check', help: 'each readiness check: 1 passing, 0 failing', type: 'gauge',
      samples: Object.entries(s.checks).map(([check, ok]) => ({ labels: { check }, value: ok ? 1 : 0 })),
    },
    gauge('grava_dolt_up', '1 while the supervised dolt sql-server process is alive', s.doltUp ? 1 : 0),
    { name: 'grava_dolt_restarts_total', help: 'times the supervisor restarted dolt sql-server after it died or hung', type: 'counter', samples: [{ value: s.doltRestarts }] },
    gauge('grava_supervisor_uptime_seconds', 'seconds since the supervisor started', Math.max(0, (s.nowMs - s.supervisorStartedAtMs) / 1000)),
    gauge('grava_backup_interval_seconds', 'seconds between automatic backups (0: disabled)', s.backupIntervalSeconds),
    gauge('grava_backup_last_success_timestamp_seconds', 'unix time of the last successful backup (0: none yet)', s.lastBackupSuccessAtMs === null ? 0 : s.lastBackupSuccessAtMs / 1000),
    gauge('grava_backup_last_success_age_seconds', 'seconds since the last successful backup (+Inf: none yet)', s.lastBackupSuccessAtMs === null ? Infinity : Math.max(0, (s.nowMs - s.lastBackupSuccessAtMs) / 1000)),
    gauge('grava_backup_last_outcome', 'outcome of the last backup: 1 success, 0 failure, -1 none yet', s.lastBackupOutcome === null ? -1 : s.lastBackupOutcome === 'success' ? 1 : 0),
    {
      name: 'grava_backups_total', help: 'backups attempted, by outcome', type: 'counter',
      samples: [{ labels: { outcome: 'success' }, value: s.backupSuccesses }, { labels: { outcome: 'failure' }, value: s.backupFailures }],
    },
  ];
  if (s.databaseSizeBytes !== null) families.push(gauge('grava_database_size_bytes', "bytes of the central database's files on disk", s.databaseSizeBytes));
  if (s.mainCommits !== null) families.push(gauge('grava_main_commits', 'commits on the main branch of the central database', s.mainCommits));
  if (s.diskFreeBytes !== null) families.push(gauge('grava_disk_free_bytes', 'bytes available to the server on the data dir filesystem', s.diskFreeBytes));
  if (s.queue) {
    const q = s.queue;
    families.push(
      gauge('grava_queue_depth', 'workspace branch heads waiting for the merge queue', q.depth),
      gauge('grava_queue_oldest_wait_seconds', 'how long the oldest waiting head has waited (0: none waiting)', q.oldestWaitMs / 1000),
      {
        name: 'grava_queue_merges_total', help: 'workspace heads the merge queue handled, by outcome', type: 'counter',
        samples: [
          { labels: { outcome: 'merged' }, value: q.merged },
          { labels: { outcome: 'up_to_date' }, value: q.upToDate },
          { labels: { outcome: 'refused' }, value: q.refused },
        ],
      },
      { name: 'grava_queue_main_moved_total', help: 'merges built again because something other than the queue moved main', type: 'counter', samples: [{ value: q.mainMoved }] },
      { name: 'grava_main_restored_total', help: 'times main was moved back or sideways outside the merge queue (a force-push) and put back; alert on any increase', type: 'counter', samples: [{ value: q.mainRestored }] },
      { name: 'grava_claims_total', help: 'claims decided by the claim call, in the merge queue\'s order', type: 'counter', samples: [{ value: q.claims }] },
      { name: 'grava_queue_failures_total', help: 'merge queue rounds that failed (Dolt restarting, errors); retried with backoff', type: 'counter', samples: [{ value: q.failures }] },
    );
    if (q.lastMergeMs !== null) families.push(gauge('grava_queue_last_merge_seconds', 'time the last merge took, from its turn to main moving', q.lastMergeMs / 1000));
  }
  if (s.slots) {
    const t = s.slots;
    families.push(
      gauge('grava_remote_slots', 'Dolt fetches and pushes of sync cycles the central aims to serve at once (0: no limit)', t.limit),
      gauge('grava_remote_slots_in_use', 'slots held by workspaces now', t.in_use),
      gauge('grava_remote_slots_waiting', 'workspaces waiting in line for a slot', t.waiting),
      {
        name: 'grava_remote_slot_asks_total', help: 'slot requests, by outcome', type: 'counter',
        samples: [
          { labels: { outcome: 'granted' }, value: t.granted_total - t.queued_total },
          { labels: { outcome: 'granted_after_waiting' }, value: t.queued_total },
          { labels: { outcome: 'gave_up' }, value: t.timed_out_total },
        ],
      },
      { name: 'grava_remote_slot_leases_expired_total', help: 'slots not handed back within their lease (a workspace gone, or a transfer longer than the lease), taken back', type: 'counter', samples: [{ value: t.expired_total }] },
    );
  }
  families.push(gauge('grava_dolt_metrics_up', "1 when Dolt's own metrics endpoint answered and its metrics follow", s.doltMetricsUp ? 1 : 0));
  return families;
}
