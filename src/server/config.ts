// The central server's configuration, described once. Each option has one
// entry: its flag, its GRAVA_SERVER_* variable, its default, its description
// and its parser. The CLI builds its flags from this table, and parsing
// collects every problem ({ values, errors }) instead of stopping at the first.
//
// Also here: the dolt sql-server config generated from the settings (pure).

import { isIP } from 'node:net';
import type { CentralPaths } from './paths.js';

/** Settings recorded in grava-server.json at init. No secrets: passwords live in the environment, in root-password (0600) or in Dolt's privileges.db. */
export interface ServerSettings {
  readonly version: 1;
  readonly database: string;
  readonly host: string;
  readonly port: number;
  readonly remotesapiPort: number;
  readonly httpPort: number;
  readonly metricsPort: number;
  readonly maxConnections: number;
  readonly backupIntervalSeconds: number;
  readonly backupKeep: number;
  readonly minFreeBytes: number;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  /** Where Dolt's own log goes: server.log in the data dir, or the supervisor's stderr (containers). Absent: file. */
  readonly doltLog?: DoltLogTarget;
  readonly syncUser: string;
  readonly readonlyUser?: string;
  readonly rootPasswordSource: 'env' | 'file';
  readonly createdAt: string;
  readonly doltVersion: string;
}

/** The settings an operator chooses with flags or GRAVA_SERVER_* variables. */
export interface Tunables {
  database: string;
  host: string;
  port: number;
  remotesapiPort: number;
  httpPort: number;
  metricsPort: number;
  maxConnections: number;
  backupIntervalSeconds: number;
  backupKeep: number;
  minFreeBytes: number;
  tlsCert: string;
  tlsKey: string;
  doltLog: DoltLogTarget;
}

export type DoltLogTarget = 'file' | 'stderr';

export type Scope = 'init' | 'start' | 'restore' | 'backup';

type Parsed<T> = { readonly value: T } | { readonly error: string };

export interface OptionSpec<K extends keyof Tunables = keyof Tunables> {
  readonly key: K;
  /** The long flag, without its argument. */
  readonly flag: string;
  readonly argName: string;
  readonly env: string;
  readonly description: string;
  /** Shown in help; the value itself comes from DEFAULTS (metricsPort: http port + 1). */
  readonly defaultText?: string;
  readonly scopes: readonly Scope[];
  readonly parse: (raw: string) => Parsed<Tunables[K]>;
}

function int(min: number, max: number, what: string): (raw: string) => Parsed<number> {
  return (raw) => {
    const n = Number(raw.trim());
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) return { error: `${what} must be an integer from ${min} to ${max}, not ${JSON.stringify(raw)}` };
    return { value: n };
  };
}

const port = (what: string): ((raw: string) => Parsed<number>) => int(1024, 65535, what);

function host(raw: string): Parsed<string> {
  // Dolt's listener takes an IP address or "localhost"; a host name is rejected at start-up.
  if (raw === 'localhost' || isIP(raw) !== 0) return { value: raw };
  return { error: `host must be an IP address or localhost, not ${JSON.stringify(raw)}` };
}

function database(raw: string): Parsed<string> {
  return /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(raw) ? { value: raw } : { error: `database must be 1-64 letters, digits or '_' (not starting with a digit), not ${JSON.stringify(raw)}` };
}

function path(what: string): (raw: string) => Parsed<string> {
  return (raw) => (raw.startsWith('/') ? { value: raw } : { error: `${what} must be an absolute path` });
}

function doltLog(raw: string): Parsed<DoltLogTarget> {
  return raw === 'file' || raw === 'stderr' ? { value: raw } : { error: `dolt log must be file or stderr, not ${JSON.stringify(raw)}` };
}

function megabytes(raw: string): Parsed<number> {
  const r = int(0, 1_000_000_000, 'minimum free disk (MB)')(raw);
  return 'value' in r ? { value: r.value * 1024 * 1024 } : r;
}

// Every setting can be given again to `start`, which records the new value
// (a container passes the same GRAVA_SERVER_* variables on every start).
// The database's name is fixed at init: start only checks it.
const RUN: readonly Scope[] = ['init', 'restore', 'start'];

export const OPTIONS: readonly OptionSpec[] = [
  { key: 'database', flag: '--database', argName: 'name', env: 'GRAVA_SERVER_DATABASE', description: 'the database workspaces clone', defaultText: 'grava', scopes: RUN, parse: database },
  { key: 'host', flag: '--host', argName: 'ip', env: 'GRAVA_SERVER_HOST', description: 'address the SQL and HTTP ports bind to (the remotesapi port always binds all interfaces)', defaultText: '127.0.0.1', scopes: RUN, parse: host },
  { key: 'port', flag: '--port', argName: 'port', env: 'GRAVA_SERVER_PORT', description: 'SQL (MySQL protocol) port', defaultText: '3306', scopes: RUN, parse: port('port') },
  { key: 'remotesapiPort', flag: '--remotesapi-port', argName: 'port', env: 'GRAVA_SERVER_REMOTESAPI_PORT', description: 'Dolt remotesapi port workspaces clone, fetch and push through', defaultText: '50051', scopes: RUN, parse: port('remotesapi port') },
  { key: 'httpPort', flag: '--http-port', argName: 'port', env: 'GRAVA_SERVER_HTTP_PORT', description: 'HTTP port of /healthz, /readyz and /metrics', defaultText: '50080', scopes: RUN, parse: port('http port') },
  { key: 'metricsPort', flag: '--metrics-port', argName: 'port', env: 'GRAVA_SERVER_METRICS_PORT', description: "loopback port of Dolt's own Prometheus metrics (also appended to /metrics)", defaultText: 'http port + 1', scopes: RUN, parse: port('metrics port') },
  { key: 'maxConnections', flag: '--max-connections', argName: 'n', env: 'GRAVA_SERVER_MAX_CONNECTIONS', description: 'SQL connection limit', defaultText: '200', scopes: RUN, parse: int(1, 100_000, 'max connections') },
  { key: 'backupIntervalSeconds', flag: '--backup-interval', argName: 'seconds', env: 'GRAVA_SERVER_BACKUP_INTERVAL', description: 'seconds between automatic backups while the server runs; 0 disables them', defaultText: '3600', scopes: RUN, parse: int(0, 31_536_000, 'backup interval') },
  { key: 'backupKeep', flag: '--backup-keep', argName: 'n', env: 'GRAVA_SERVER_BACKUP_KEEP', description: 'backups kept in the data dir (older ones are deleted)', defaultText: '24', scopes: [...RUN, 'backup'], parse: int(1, 100_000, 'backups kept') },
  { key: 'minFreeBytes', flag: '--min-free-mb', argName: 'mb', env: 'GRAVA_SERVER_MIN_FREE_MB', description: 'free disk below which /readyz fails', defaultText: '512', scopes: RUN, parse: megabytes },
  { key: 'tlsCert', flag: '--tls-cert', argName: 'file', env: 'GRAVA_SERVER_TLS_CERT', description: 'PEM certificate: TLS on the SQL port and https on the remotesapi port', scopes: RUN, parse: path('tls cert') },
  { key: 'tlsKey', flag: '--tls-key', argName: 'file', env: 'GRAVA_SERVER_TLS_KEY', description: 'PEM private key for --tls-cert', scopes: RUN, parse: path('tls key') },
  { key: 'doltLog', flag: '--dolt-log', argName: 'file|stderr', env: 'GRAVA_SERVER_DOLT_LOG', description: "where Dolt's own JSON log goes: server.log in the data dir, or the supervisor's stderr (containers)", defaultText: 'file', scopes: RUN, parse: doltLog },
];

export const DEFAULTS = {
  database: 'grava',
  host: '127.0.0.1',
  port: 3306,
  remotesapiPort: 50051,
  httpPort: 50080,
  maxConnections: 200,
  backupIntervalSeconds: 3600,
  backupKeep: 24,
  minFreeBytes: 512 * 1024 * 1024,
} as const;

export function optionsFor(scope: Scope): readonly OptionSpec[] {
  return OPTIONS.filter((o) => o.scopes.includes(scope));
}

/** commander's camel-cased property name for a flag ("--remotesapi-port" → "remotesapiPort"). */
export function flagProperty(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Flag values first, then GRAVA_SERVER_* variables. Every problem is reported. */
export function parseOptions(scope: Scope, flags: Readonly<Record<string, unknown>>, env: Readonly<Record<string, string | undefined>>): { values: Partial<Tunables>; errors: string[] } {
  const values: Partial<Record<keyof Tunables, unknown>> = {};
  const errors: string[] = [];
  for (const o of optionsFor(scope)) {
    const fromFlag = flags[flagProperty(o.flag)];
    const raw = typeof fromFlag === 'string' ? fromFlag : env[o.env];
    if (raw === undefined || raw === '') continue;
    const r = o.parse(raw);
    if ('error' in r) errors.push(`${o.flag}: ${r.error}`);
    else values[o.key] = r.value;
  }
  return { values: values as Partial<Tunables>, errors };
}

export type NewSettings = Omit<ServerSettings, 'syncUser' | 'readonlyUser' | 'rootPasswordSource' | 'createdAt' | 'doltVersion'>;

/** Settings for a new data dir: defaults filled in, ports checked for clashes. */
export function resolveSettings(values: Partial<Tunables>): { settings: NewSettings; errors: string[] } {
  const httpPort = values.httpPort ?? DEFAULTS.httpPort;
  const settings: NewSettings = {
    version: 1,
    database: values.database ?? DEFAULTS.database,
    host: values.host ?? DEFAULTS.host,
    port: values.port ?? DEFAULTS.port,
    remotesapiPort: values.remotesapiPort ?? DEFAULTS.remotesapiPort,
    httpPort,
    metricsPort: values.metricsPort ?? derivedMetricsPort(httpPort),
    maxConnections: values.maxConnections ?? DEFAULTS.maxConnections,
    backupIntervalSeconds: values.backupIntervalSeconds ?? DEFAULTS.backupIntervalSeconds,
    backupKeep: values.backupKeep ?? DEFAULTS.backupKeep,
    minFreeBytes: values.minFreeBytes ?? DEFAULTS.minFreeBytes,
    ...(values.tlsCert ? { tlsCert: values.tlsCert } : {}),
    ...(values.tlsKey ? { tlsKey: values.tlsKey } : {}),
    ...(values.doltLog && values.doltLog !== 'file' ? { doltLog: values.doltLog } : {}),
  };
  return { settings, errors: settingsErrors(settings) };
}

/** Settings for a start: the recorded ones with the values given to this start in their place.
 *  The metrics port follows a new HTTP port when it was the derived one. The database is fixed at init. */
export function startSettings<S extends NewSettings>(recorded: S, values: Partial<Tunables>): { settings: S; errors: string[]; changed: string[] } {
  const errors: string[] = [];
  if (values.database !== undefined && values.database !== recorded.database) {
    errors.push(`--database: this data dir serves database ${JSON.stringify(recorded.database)}, fixed at init; ${JSON.stringify(values.database)} cannot replace it`);
  }
  const { doltLog, tlsCert, tlsKey, ...rest } = values;
  const next: Record<string, unknown> = { ...recorded, ...rest, database: recorded.database };
  if (values.httpPort !== undefined && values.metricsPort === undefined && recorded.metricsPort === derivedMetricsPort(recorded.httpPort)) {
    next.metricsPort = derivedMetricsPort(values.httpPort);
  }
  if (tlsCert !== undefined) next.tlsCert = tlsCert;
  if (tlsKey !== undefined) next.tlsKey = tlsKey;
  if (doltLog !== undefined) {
    if (doltLog === 'file') delete next.doltLog;
    else next.doltLog = doltLog;
  }
  const settings = next as S;
  const changed = Object.keys(next).filter((k) => JSON.stringify(next[k]) !== JSON.stringify((recorded as Record<string, unknown>)[k]));
  return { settings, errors: [...errors, ...settingsErrors(settings)], changed };
}

function derivedMetricsPort(httpPort: number): number {
  return httpPort < 65535 ? httpPort + 1 : httpPort - 1;
}

/** Problems no flag alone shows: two listeners on one port, half a TLS pair. */
export function settingsErrors(settings: NewSettings): string[] {
  const errors: string[] = [];
  const ports = [['--port', settings.port], ['--remotesapi-port', settings.remotesapiPort], ['--http-port', settings.httpPort], ['--metrics-port', settings.metricsPort]] as const;
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      const a = ports[i];
      const b = ports[j];
      if (a && b && a[1] === b[1]) errors.push(`${a[0]} and ${b[0]} are both ${a[1]}; each port must differ`);
    }
  }
  if (Boolean(settings.tlsCert) !== Boolean(settings.tlsKey)) errors.push('--tls-cert and --tls-key go together');
  return errors;
}

/** The host a local client dials to reach a listener bound to `host`. */
export function dialHost(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
}

export interface DoltConfigOptions {
  /** The SQL port to listen on (DoltServer picks it; fixed for a normal start). */
  readonly port: number;
  /** init and restore: loopback only, no remotesapi, no metrics, until users and data are in place. */
  readonly bootstrap?: boolean;
}

// Connection sizing: 50+ workspaces reach the central through the remotesapi
// (gRPC/HTTP, not SQL connections), so SQL connections are for operators, the
// supervisor and monitoring; 200 leaves headroom for bursts of admin clients.
const READ_TIMEOUT_MS = 3_600_000;
const WRITE_TIMEOUT_MS = 3_600_000;
const MAX_CONNECTIONS_TIMEOUT_MS = 30_000;
const BACK_LOG = 256;

/** The dolt sql-server config (Dolt parses it strictly: only keys it knows). */
export function doltConfig(s: NewSettings, p: CentralPaths, o: DoltConfigOptions): Record<string, unknown> {
  const listener: Record<string, unknown> = {
    host: o.bootstrap ? '127.0.0.1' : s.host,
    port: o.port,
    max_connections: s.maxConnections,
    back_log: BACK_LOG,
    max_connections_timeout_millis: MAX_CONNECTIONS_TIMEOUT_MS,
    read_timeout_millis: READ_TIMEOUT_MS,
    write_timeout_millis: WRITE_TIMEOUT_MS,
    socket: p.socket,
  };
  if (s.tlsCert && s.tlsKey) {
    listener.tls_cert = s.tlsCert;
    listener.tls_key = s.tlsKey;
  }
  const config: Record<string, unknown> = {
    log_level: 'info',
    log_format: 'json',
    data_dir: p.dataDir,
    cfg_dir: `${p.dataDir}/.doltcfg`,
    behavior: { read_only: false, autocommit: true },
    listener,
    system_variables: { secure_file_priv: p.noFileAccess },
  };
  if (!o.bootstrap) {
    // Dolt binds the remotesapi on every interface (":port"), whatever listener.host says; it reuses the listener's TLS.
    config.remotesapi = { port: s.remotesapiPort, read_only: false };
    config.metrics = { host: '127.0.0.1', port: s.metricsPort, labels: { service: 'grava-central' } };
  }
  return config;
}

export function doltConfigText(s: NewSettings, p: CentralPaths, o: DoltConfigOptions): string {
  return `# generated by grava server; JSON is valid YAML. Regenerated on every start: edit grava-server.json instead.\n${JSON.stringify(doltConfig(s, p, o), null, 2)}\n`;
}

/** The URL workspaces use: http(s)://HOST:REMOTESAPI_PORT/DATABASE. */
export function remoteUrl(s: Pick<ServerSettings, 'host' | 'remotesapiPort' | 'database' | 'tlsCert'>, publicHost?: string): string {
  const h = publicHost ?? dialHost(s.host);
  const shown = isIP(h) === 6 ? `[${h}]` : h;
  return `${s.tlsCert ? 'https' : 'http'}://${shown}:${s.remotesapiPort}/${s.database}`;
}
