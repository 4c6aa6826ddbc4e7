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
const PREFIXES = ['LC_', 'GIT_'];

/** The allowed part of `env`, plus `extra` (which wins). */
export function childEnv(extra: Readonly<Record<string, string>> = {}, env: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && (EXACT.has(k) || PREFIXES.some((p) => k.startsWith(p)))) out[k] = v;
  }
  return { ...out, ...extra };
}
