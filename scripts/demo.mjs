#!/usr/bin/env node
// `npm run demo`: grava's main job, on loopback, with real Dolt.
//   1. a central server (`grava server init` + `start --detach`)
//   2. two agents' workspaces cloned from it (alice, bob)
//   3. work in both; their daemons sync on their own (nobody runs `grava sync`):
//      the demo waits for each change to appear on the other side and says how long it took
//   4. a same-cell conflict decided by newest write, explained by `grava merge-inspect`;
//      both replicas converge
//   5. the `bd` face (beads' dialect) on the same data
//   6. issues.jsonl committed by the git hooks, and a replica rebuilt from it
// Everything it starts is stopped at the end, also on failure or Ctrl-C.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const BIN = fileURLToPath(new URL('../bin/grava.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'grava-demo-'));
const central = join(root, 'central');
const env = {
  ...process.env,
  GRAVA_REMOTE_USER: 'demo-sync',
  GRAVA_REMOTE_PASSWORD: randomBytes(12).toString('base64url'),
  GRAVA_SERVER_ROOT_PASSWORD: randomBytes(12).toString('base64url'),
};
const cleanups = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function grava(cwd, args, { quiet = false } = {}) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`grava ${args.join(' ')} failed:\n${stderr || stdout}`));
      if (!quiet && stdout.trim()) process.stdout.write(`${stdout.trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}\n`);
      resolve(stdout);
    });
  });
}
const json = async (cwd, args) => JSON.parse(await grava(cwd, [...args, '--json'], { quiet: true }));
const step = (text) => process.stdout.write(`\n== ${text}\n`);
const say = (who, cmd) => process.stdout.write(`  ${who}$ grava ${cmd}\n`);

async function cleanup() {
  while (cleanups.length) await cleanups.pop()().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
}
process.on('SIGINT', () => { void cleanup().then(() => process.exit(130)); });

async function main() {
  const [port, remotesapi, http] = [await freePort(), await freePort(), await freePort()];
  step(`central server in ${central}`);
  say('ops', `server init --data-dir … --port ${port} --remotesapi-port ${remotesapi} --http-port ${http}`);
  await grava(root, ['server', 'init', '--data-dir', central, '--port', String(port), '--remotesapi-port', String(remotesapi), '--http-port', String(http)]);
  say('ops', 'server start --detach');
  cleanups.push(() => grava(root, ['server', 'stop', '--data-dir', central], { quiet: true }));
  await grava(root, ['server', 'start', '--data-dir', central, '--detach']);
  const health = await fetch(`http://127.0.0.1:${http}/readyz`);
  process.stdout.write(`    GET /readyz -> ${health.status}\n`);
  const url = `http://127.0.0.1:${remotesapi}/grava`;

  step('two agents clone the central database (init also starts each workspace\'s daemon)');
  const ws = {};
  for (const who of ['alice', 'bob']) {
    ws[who] = join(root, who);
    await import('node:fs').then((fs) => fs.mkdirSync(ws[who]));
    say(who, `init --remote ${url} --actor ${who}`);
    // Stops the workspace's daemon and its dolt sql-server.
    cleanups.push(() => grava(ws[who], ['daemon', 'stop'], { quiet: true }));
    await grava(ws[who], ['init', '--remote', url, '--actor', who]);
  }

  step('each workspace has a daemon that syncs on its own; the demo shortens its timers');
  for (const who of ['alice', 'bob']) {
    say(who, 'config set sync.debounce_ms 1000 && config set sync.pull_interval_ms 1000   # defaults: 5000 and 10000');
    await grava(ws[who], ['config', 'set', 'sync.debounce_ms', '1000'], { quiet: true });
    await grava(ws[who], ['config', 'set', 'sync.pull_interval_ms', '1000'], { quiet: true });
  }
  say('alice', 'daemon status');
  await grava(ws.alice, ['daemon', 'status']);

  /** Polls `probe` in a workspace (a read: it never syncs) until it holds; prints how long that took. */
  async function appears(who, what, since, probe) {
    for (;;) {
      if (await probe()) break;
      if (Date.now() - since > 60_000) throw new Error(`${who} never saw ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    process.stdout.write(`    -> ${who} ${who.includes(" and ") ? "see" : "sees"} ${what} ${((Date.now() - since) / 1000).toFixed(1)} s after the last write, without running any sync\n`);
  }

  step('alice plans work (no `grava sync` anywhere from here on)');
  say('alice', 'create "Design the login page" -p 1 -t feature');
  const design = await json(ws.alice, ['create', 'Design the login page', '-p', '1', '-t', 'feature', '-l', 'web']);
  say('alice', 'create "Implement the login page"');
  const impl = await json(ws.alice, ['create', 'Implement the login page', '-l', 'web']);
  say('alice', `dep add ${impl.id} ${design.id}`);
  await grava(ws.alice, ['dep', 'add', impl.id, design.id]);
  let since = Date.now();
  await appears('bob', "alice's two issues and their dependency", since, async () => (await json(ws.bob, ['ready'])).some((i) => i.id === design.id));

  step('bob sees what is ready, and claims it (a claim is decided by the central: one agent wins)');
  say('bob', 'ready');
  await grava(ws.bob, ['ready']);
  say('bob', `update ${design.id} --claim`);
  await grava(ws.bob, ['update', design.id, '--claim']);
  say('alice', `update ${design.id} --claim      # too late: the central already gave it to bob`);
  const late = await grava(ws.alice, ['update', design.id, '--claim'], { quiet: true }).then(() => null, (e) => e.message.split('\n').find((l) => l.startsWith('GRAVA_E_')));
  if (!late?.startsWith('GRAVA_E_CONFLICT')) throw new Error('alice\'s late claim should have been refused');
  process.stdout.write(`    ${late}\n`);
  const mine = await json(ws.alice, ['show', design.id]);
  process.stdout.write(`    -> alice's replica already shows the holder: ${mine.assignee} (${mine.status})\n`);

  step('both edit the same issue within one debounce window');
  say('alice', `update ${impl.id} --title "Implement login (OAuth)"      # earlier`);
  await grava(ws.alice, ['update', impl.id, '--title', 'Implement login (OAuth)']);
  await new Promise((r) => setTimeout(r, 50));
  say('bob', `update ${impl.id} --title "Implement login (passkeys)" --priority 0   # later`);
  await grava(ws.bob, ['update', impl.id, '--title', 'Implement login (passkeys)', '--priority', '0']);
  say('alice', `comment ${impl.id} "needs a security review"`);
  await grava(ws.alice, ['comment', impl.id, 'needs a security review']);
  since = Date.now();
  const converged = async () => {
    const [a, b] = [await json(ws.alice, ['show', impl.id]), await json(ws.bob, ['show', impl.id])];
    return JSON.stringify(a) === JSON.stringify(b) && a.comments.length === 1 && a.title === 'Implement login (passkeys)';
  };
  process.stdout.write('    (the daemons push; whichever pushes second merges cell by cell, newest write wins)\n');
  await appears('alice and bob', 'the same merged issue', since, converged);

  step('the decision, explained from the merge commit both now hold');
  say('alice', `merge-inspect --commit HEAD --id ${impl.id}`);
  await grava(ws.alice, ['merge-inspect', '--commit', 'HEAD', '--id', impl.id]);

  step('both replicas converged');
  const a = await json(ws.alice, ['show', impl.id]);
  const b = await json(ws.bob, ['show', impl.id]);
  say('alice', `show ${impl.id}`);
  await grava(ws.alice, ['show', impl.id]);
  const same = JSON.stringify(a) === JSON.stringify(b);
  process.stdout.write(`\n  alice and bob hold identical data for ${impl.id}: ${same ? 'yes' : 'NO'}\n`);
  process.stdout.write(`  title = ${JSON.stringify(a.title)} (bob's later write), priority = ${a.priority}, comments = ${a.comments.length} (alice's)\n`);
  if (!same || a.title !== 'Implement login (passkeys)' || a.comments.length !== 1) throw new Error('the replicas did not converge as expected');

  step('agents taught on beads: the same program started as `bd` speaks their dialect');
  const bd = (cwd, args) => new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: { ...env, GRAVA_DIALECT: 'beads' } }, (err, stdout, stderr) => (err ? reject(new Error(`bd ${args.join(' ')} failed:\n${stderr || stdout}`)) : resolve(stdout)));
  });
  process.stdout.write('  bob$ bd ready --json | jq \'map(.id)\'\n');
  process.stdout.write(`    ${JSON.stringify(JSON.parse(await bd(ws.bob, ['ready', '--json'])).map((i) => i.id))}\n`);
  process.stdout.write(`  bob$ bd show ${impl.id} --json | jq '.[0] | {id, title, issue_type, priority}'\n`);
  const shown = JSON.parse(await bd(ws.bob, ['show', impl.id, '--json']))[0];
  process.stdout.write(`    ${JSON.stringify({ id: shown.id, title: shown.title, issue_type: shown.issue_type, priority: shown.priority })}\n`);
  process.stdout.write(`  bob$ bd update ${impl.id} --notes "passkeys chosen: no passwords to leak" --json | jq '.[0].notes'\n`);
  process.stdout.write(`    ${JSON.stringify(JSON.parse(await bd(ws.bob, ['update', impl.id, '--notes', 'passkeys chosen: no passwords to leak', '--json']))[0].notes)}\n`);

  step('issues.jsonl in every git commit, and a replica rebuilt from it');
  const gitEnv = { ...env, GIT_AUTHOR_NAME: 'alice', GIT_AUTHOR_EMAIL: 'alice@example.invalid', GIT_COMMITTER_NAME: 'alice', GIT_COMMITTER_EMAIL: 'alice@example.invalid' };
  const git = (cwd, args) => new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: gitEnv }, (err, stdout, stderr) => (err ? reject(new Error(`git ${args.join(' ')} failed:\n${stderr}`)) : resolve(stdout)));
  });
  await git(ws.alice, ['init', '-q']);
  say('alice', 'hooks install');
  await grava(ws.alice, ['hooks', 'install']);
  process.stdout.write('  alice$ git add -A && git commit -m "work of the day"\n');
  await git(ws.alice, ['add', '-A']);
  await git(ws.alice, ['commit', '-q', '-m', 'work of the day']);
  process.stdout.write(`  alice$ git show --stat --format=%B HEAD\n${(await git(ws.alice, ['show', '--stat', '--format=%B', 'HEAD'])).trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}\n`);
  const carol = join(root, 'carol');
  await import('node:fs').then((fs) => fs.mkdirSync(carol));
  cleanups.push(() => grava(carol, ['daemon', 'stop'], { quiet: true }));
  say('carol', 'init --actor carol && grava import -i ../alice/issues.jsonl   # a lost replica, rebuilt');
  await grava(carol, ['init', '--actor', 'carol'], { quiet: true });
  await grava(carol, ['import', '-i', join(ws.alice, 'issues.jsonl')]);
  await grava(carol, ['export', '-o', join(carol, 'check.jsonl')], { quiet: true });
  const { readFileSync } = await import('node:fs');
  const identical = readFileSync(join(carol, 'check.jsonl'), 'utf8') === readFileSync(join(ws.alice, 'issues.jsonl'), 'utf8');
  process.stdout.write(`    carol's export is byte-identical to the committed issues.jsonl: ${identical ? 'yes' : 'NO'}\n`);
  if (!identical) throw new Error('the rebuilt replica differs from the file it was rebuilt from');
}

main().then(
  async () => { await cleanup(); process.stdout.write('\ndemo finished; every server it started is stopped\n'); },
  async (e) => { process.stderr.write(`demo failed: ${e.message}\n`); await cleanup(); process.exitCode = 1; },
);
