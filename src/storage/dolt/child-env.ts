// The environment a `dolt sql-server` gets: only what it, git and TLS need,
// never the agent's whole environment (API keys, tokens, other services'
// passwords). Names are matched exactly or by prefix; everything grava must
// pass on purpose (DOLT_REMOTE_PASSWORD, the root password) is added by the
// caller on top.

const EXACT = new Set([
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'TZ', 'TMPDIR', 'TERM',
  // ssh and git: keys through the agent, the user's git configuration.
  'SSH_AUTH_SOCK', 'SSH_AGENT_PID', 'XDG_CONFIG_HOME', 'XDG_RUNTIME_DIR',
  // Proxies, both spellings.
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy',
  // TLS: the CA bundle Go reads.
  'SSL_CERT_FILE', 'SSL_CERT_DIR',
]);
// git's own variables (ssh, configuration, prompts, tracing, TLS, identity), not every GIT_* an agent may
// hold (a GIT_TOKEN or GIT_PASSWORD of some other tool is not git's).
const PREFIXES = ['LC_', 'GIT_SSH', 'GIT_CONFIG', 'GIT_ASKPASS', 'GIT_TERMINAL_PROMPT', 'GIT_TRACE', 'GIT_CURL_', 'GIT_SSL_', 'GIT_HTTP_', 'GIT_PROXY_', 'GIT_AUTHOR_', 'GIT_COMMITTER_', 'GIT_EXEC_PATH'];

/**
 * Every Dolt process grava starts gets this. Without it, each Dolt command (a sql-server's shutdown included)
 * starts a detached `dolt send-metrics` as it exits, even with `metrics.disabled` set, and that process
 * outlives `grava server stop`: it recreated `<data-dir>/dolt-home/.dolt/config_global.json` after an operator
 * moved the data dir away, and the restore then refused the non-empty dir (docs/DOLT.md).
 */
export const NO_EVENT_FLUSH: Readonly<Record<string, string>> = { DOLT_DISABLE_EVENT_FLUSH: '1' };

/** What a central's Dolt also needs: cloud credentials for backups to aws://, gs://, oci:// and Azure. */
export const CLOUD_PREFIXES = ['AWS_', 'GOOGLE_', 'GCLOUD_', 'CLOUDSDK_', 'OCI_', 'AZURE_'] as const;

/** The allowed part of `env` (plus names starting with `morePrefixes`), then `extra` (which wins). */
export function childEnv(extra: Readonly<Record<string, string>> = {}, env: Readonly<Record<string, string | undefined>> = process.env, morePrefixes: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && (EXACT.has(k) || PREFIXES.some((p) => k.startsWith(p)) || morePrefixes.some((p) => k.startsWith(p)))) out[k] = v;
  }
  return { ...out, ...extra };
}
