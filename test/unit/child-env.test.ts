// The environment of Dolt child processes: an allowlist (src/storage/dolt/child-env.ts).

import { describe, expect, it } from 'vitest';
import { CLOUD_PREFIXES, childEnv } from '../../src/storage/dolt/child-env.js';

describe('childEnv', () => {
  const agent = {
    PATH: '/usr/bin', HOME: '/home/a', LANG: 'C.UTF-8', LC_ALL: 'C', SSH_AUTH_SOCK: '/s', GIT_SSH_COMMAND: 'ssh -i k', GIT_CONFIG_GLOBAL: '/g',
    HTTPS_PROXY: 'http://p', no_proxy: 'localhost', SSL_CERT_FILE: '/ca.pem', XDG_CONFIG_HOME: '/x',
    OPENAI_API_KEY: 'sk-1', ANTHROPIC_API_KEY: 'k-2', AWS_SECRET_ACCESS_KEY: 's-3', GITHUB_TOKEN: 't-4', GRAVA_REMOTE_PASSWORD: 'p-5', DOLT_REMOTE_PASSWORD: 'p-6', NODE_OPTIONS: '--x',
    GIT_TOKEN: 't-7', GIT_PASSWORD: 'p-8',
  };

  it("keeps what Dolt, git, ssh, proxies and TLS need, and none of the agent's secrets", () => {
    const env = childEnv({}, agent);
    expect(env).toEqual({
      PATH: '/usr/bin', HOME: '/home/a', LANG: 'C.UTF-8', LC_ALL: 'C', SSH_AUTH_SOCK: '/s', GIT_SSH_COMMAND: 'ssh -i k', GIT_CONFIG_GLOBAL: '/g',
      HTTPS_PROXY: 'http://p', no_proxy: 'localhost', SSL_CERT_FILE: '/ca.pem', XDG_CONFIG_HOME: '/x',
    });
  });

  it('adds what grava passes on purpose, over the inherited values', () => {
    const env = childEnv({ DOLT_REMOTE_PASSWORD: 'given', SSL_CERT_FILE: '/workspace-ca.pem' }, agent);
    expect(env.DOLT_REMOTE_PASSWORD).toBe('given');
    expect(env.SSL_CERT_FILE).toBe('/workspace-ca.pem');
    expect(env.OPENAI_API_KEY).toBeUndefined();
  });

  it("gives the central's Dolt the cloud credentials its backups need, and nothing more", () => {
    const env = childEnv({}, agent, CLOUD_PREFIXES);
    expect(env.AWS_SECRET_ACCESS_KEY).toBe('s-3');
    expect(env.OPENAI_API_KEY).toBeUndefined();
    expect(env.GITHUB_TOKEN).toBeUndefined();
  });
});
