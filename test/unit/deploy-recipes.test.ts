// The deployment recipes, checked offline: every Kubernetes object in
// deploy/kubernetes/ validated against the Kubernetes schemas
// (kubernetes-models), then what the image needs from each (probes, the
// non-root user, volumes, secrets as files); the Compose file parsed and
// checked for its volumes, health check and ports. Nothing here talks to a
// cluster or a container engine.

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const require = createRequire(import.meta.url);
const DEPLOY = new URL('../../deploy/', import.meta.url).pathname;
const K8S = join(DEPLOY, 'kubernetes');
const IMAGE_USER = 10001;

type Obj = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } };
interface Model { validate(): void }

/** The kubernetes-models class for apiVersion + kind: core "v1" → kubernetes-models/v1/Kind, "apps/v1" → kubernetes-models/apps/v1/Kind. */
function model(o: Obj): Model {
  const mod = require(`kubernetes-models/${o.apiVersion}/${o.kind}`) as Record<string, new (data: unknown) => Model>;
  const Ctor = mod[o.kind];
  if (!Ctor) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  return new Ctor(o);
}

function objects(dir: string): { file: string; obj: Obj }[] {
  const out: { file: string; obj: Obj }[] = [];
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, name.name);
    if (name.isDirectory()) out.push(...objects(p));
    else if (/\.ya?ml$/.test(name.name)) {
      for (const doc of parseAllDocuments(readFileSync(p, 'utf8'))) {
        if (doc.errors.length > 0) throw new Error(`${p}: ${doc.errors[0]?.message}`);
        const obj = doc.toJS() as Obj | null;
        if (obj !== null) out.push({ file: p, obj });
      }
    }
  }
  return out;
}

const all = objects(K8S);
const find = (kind: string, name: string): Obj => {
  const o = all.find((x) => x.obj.kind === kind && x.obj.metadata.name === name)?.obj;
  if (!o) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return o;
};

interface Container {
  image: string; env: { name: string; value?: string }[]; ports: { name: string; containerPort: number }[];
  readinessProbe: { httpGet: { path: string; port: string } }; livenessProbe: { httpGet: { path: string; port: string } }; startupProbe?: unknown;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean; capabilities: { drop: string[] } };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}

describe('deploy/kubernetes', () => {
  it('holds valid objects only, each checked against the Kubernetes schemas', () => {
    expect(all.map((x) => x.obj.kind).sort()).toEqual(['NetworkPolicy', 'Secret', 'Service', 'Service', 'StatefulSet']);
    for (const { file, obj } of all) expect(() => model(obj).validate(), `${file}: ${obj.kind} ${obj.metadata.name}`).not.toThrow();
  });

  it('the validation catches a broken object (so the check above can fail)', () => {
    const broken = structuredClone(find('StatefulSet', 'grava-server')) as Obj & { spec: { replicas: unknown } };
    broken.spec.replicas = 'one';
    expect(() => model(broken).validate()).toThrow(/replicas/);
  });

  it('runs one replica as the image user, probes /readyz and /healthz, mounts data, backups, /tmp and the secrets as files', () => {
    const sts = find('StatefulSet', 'grava-server') as Obj & { spec: {
      replicas: number; serviceName: string;
      template: { spec: { securityContext: Record<string, unknown>; containers: Container[]; volumes: { name: string; secret?: { secretName: string } }[]; terminationGracePeriodSeconds: number } };
      volumeClaimTemplates: { metadata: { name: string } }[];
    } };
    expect(sts.spec.replicas).toBe(1);
    find('Service', sts.spec.serviceName);
    const pod = sts.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: IMAGE_USER, runAsGroup: IMAGE_USER, fsGroup: IMAGE_USER });
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
    const [c] = pod.containers;
    if (!c) throw new Error('no container');
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.startupProbe).toBeDefined();
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.requests.memory).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
    expect(Object.fromEntries(c.ports.map((p) => [p.name, p.containerPort]))).toEqual({ remotesapi: 50051, http: 50080, sql: 3306 });
    const mounts = Object.fromEntries(c.volumeMounts.map((m) => [m.mountPath, m.name]));
    expect(mounts).toMatchObject({ '/data': 'data', '/data/backups': 'backups', '/tmp': 'tmp' });
    expect(sts.spec.volumeClaimTemplates.map((v) => v.metadata.name).sort()).toEqual(['backups', 'data']);
    // Secrets reach the server as files (_FILE variables), never as values in the pod spec.
    const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
    for (const name of ['GRAVA_SERVER_ROOT_PASSWORD', 'GRAVA_REMOTE_USER', 'GRAVA_REMOTE_PASSWORD']) {
      expect(env[name]).toBeUndefined();
      const file = env[`${name}_FILE`];
      expect(file).toBeDefined();
      const mount = c.volumeMounts.find((m) => file?.startsWith(`${m.mountPath}/`));
      expect(pod.volumes.find((v) => v.name === mount?.name)?.secret?.secretName).toBe('grava-server');
    }
    const secret = find('Secret', 'grava-server') as Obj & { stringData: Record<string, string> };
    for (const key of ['root-password', 'sync-user', 'sync-password']) expect(secret.stringData[key]).toBeDefined();
  });

  it('serves the remotesapi and the HTTP API on the ports the container listens on (Dolt builds chunk URLs from them)', () => {
    const svc = find('Service', 'grava-server') as Obj & { spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] } };
    expect(svc.spec.ports.map((p) => [p.name, p.port, p.targetPort])).toEqual([['remotesapi', 50051, 'remotesapi'], ['http', 50080, 'http']]);
    const sts = find('StatefulSet', 'grava-server') as Obj & { spec: { template: { metadata: { labels: Record<string, string> } } } };
    expect(sts.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
  });
});

describe('deploy/kubernetes network policy', () => {
  it('admits the remotesapi and the HTTP API only, not SQL', () => {
    const np = find('NetworkPolicy', 'grava-server') as Obj & { spec: { podSelector: { matchLabels: Record<string, string> }; ingress: { ports: { port: number }[] }[] } };
    const ports = np.spec.ingress.flatMap((r) => r.ports.map((p) => p.port)).sort();
    expect(ports).toEqual([50051, 50080]);
    expect(np.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'grava-server' });
  });
});

describe('deploy/compose.yaml', () => {
  const compose = parse(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8')) as {
    services: Record<string, { image: string; restart: string; ports: string[]; volumes: string[]; read_only: boolean; healthcheck: { test: string[] }; environment: Record<string, string>; secrets: string[] }>;
    volumes: Record<string, unknown>; secrets: Record<string, { file: string }>;
  };
  const server = compose.services['grava-server'];

  it('keeps the data in a named volume, restarts the server and checks its health with node', () => {
    if (!server) throw new Error('no grava-server service');
    expect(server.image).toMatch(/^localhost\/grava-server:/);
    expect(server.restart).toBe('unless-stopped');
    expect(server.volumes).toContain('grava-data:/data');
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['grava-data', 'grava-backups']));
    expect(server.healthcheck.test).toEqual(['CMD', 'node', '/app/healthcheck.mjs', '/data']);
    expect(server.read_only).toBe(true);
  });

  it('publishes the remotesapi, keeps the HTTP API on loopback and takes secrets as files', () => {
    if (!server) throw new Error('no grava-server service');
    expect(server.ports).toEqual(['50051:50051', '127.0.0.1:50080:50080']);
    for (const name of ['GRAVA_SERVER_ROOT_PASSWORD', 'GRAVA_REMOTE_USER', 'GRAVA_REMOTE_PASSWORD']) {
      expect(server.environment[name]).toBeUndefined();
      expect(server.environment[`${name}_FILE`]).toMatch(/^\/run\/secrets\//);
    }
    expect(server.secrets.every((s) => compose.secrets[s]?.file !== undefined)).toBe(true);
  });
});
