// Runs the rows of test/beads/compat.json against a `bd`: grava's face in
// test/dolt/beads-compat.dolt.test.ts, and grava's and beads 1.0.5's side by
// side in scripts/bd-differential.mjs. Plain JavaScript so both can use it.
//
// A row: `given` command lines run first (each `create`/`q` adds its new id
// as {0}, {1}, …), then `run` (with optional `stdin` and `env`), then the
// `then` checks. `{ACTOR}` is the workspace's actor. Expectations:
//   code, json ('array' | 'object' | 'none'), length, keys (of the object or
//   of the first item), nested ({key: [subkeys]}), fields (dotted path →
//   value), contains / absent (an item with that id), stdout / stderr (regex).

/** @param {string} s @param {string[]} ids @param {string} actor */
function fill(s, ids, actor) {
  return s.replace(/\{(\d+)\}/g, (_m, n) => ids[Number(n)] ?? `{${n}}`).replace(/\{ACTOR\}/g, actor);
}

function fillDeep(v, ids, actor) {
  if (typeof v === 'string') return fill(v, ids, actor);
  if (Array.isArray(v)) return v.map((x) => fillDeep(x, ids, actor));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillDeep(x, ids, actor)]));
  return v;
}

function parse(stdout) {
  try { return JSON.parse(stdout); } catch { return undefined; }
}

export function jsonKind(json) {
  return json === undefined ? 'none' : Array.isArray(json) ? 'array' : typeof json === 'object' && json !== null ? 'object' : 'none';
}

function at(json, path) {
  return path.split('.').reduce((v, k) => (v === undefined || v === null ? undefined : v[k]), json);
}

/** The keys of the object, or of the first item of an array. */
export function topKeys(json) {
  const target = Array.isArray(json) ? json[0] : json;
  return target && typeof target === 'object' ? Object.keys(target).sort() : [];
}

/** Checks one result against one expectation; returns the failures as text. */
export function check(result, expect, ids, actor) {
  const e = fillDeep(expect ?? {}, ids, actor);
  const out = [];
  const json = parse(result.stdout);
  const tail = () => ` (stdout ${JSON.stringify(result.stdout.slice(0, 300))}, stderr ${JSON.stringify(result.stderr.slice(0, 300))})`;
  if (e.code !== undefined && result.code !== e.code) out.push(`exit ${result.code}, expected ${e.code}${tail()}`);
  if (e.json !== undefined && jsonKind(json) !== e.json) out.push(`JSON is ${jsonKind(json)}, expected ${e.json}${tail()}`);
  if (e.length !== undefined && (!Array.isArray(json) || json.length !== e.length)) out.push(`length ${Array.isArray(json) ? json.length : 'n/a'}, expected ${e.length}`);
  for (const k of e.keys ?? []) if (!topKeys(json).includes(k)) out.push(`missing key ${k} (has ${topKeys(json).join(', ')})`);
  for (const [k, subs] of Object.entries(e.nested ?? {})) {
    for (const s of subs) if (at(json, `${k}.${s}`) === undefined) out.push(`missing key ${k}.${s}`);
  }
  for (const [path, want] of Object.entries(e.fields ?? {})) {
    const got = at(json, path);
    if (JSON.stringify(got) !== JSON.stringify(want)) out.push(`${path} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  }
  if (e.contains !== undefined && !(Array.isArray(json) && json.some((x) => x && x.id === e.contains))) out.push(`no item ${e.contains}`);
  if (e.absent !== undefined && Array.isArray(json) && json.some((x) => x && x.id === e.absent)) out.push(`item ${e.absent} should be absent`);
  if (e.stdout !== undefined && !new RegExp(e.stdout).test(result.stdout)) out.push(`stdout does not match /${e.stdout}/${tail()}`);
  if (e.stderr !== undefined && !new RegExp(e.stderr).test(result.stderr)) out.push(`stderr does not match /${e.stderr}/${tail()}`);
  return out;
}

/**
 * Runs one row. `bd(args, {stdin, env})` runs the implementation under test
 * and resolves to {code, stdout, stderr}.
 */
export async function runRow(bd, row, actor) {
  const ids = [];
  const failures = [];
  for (const g of row.given ?? []) {
    const args = g.map((a) => fill(a, ids, actor));
    const r = await bd(args, {});
    if (r.code !== 0) { failures.push(`given \`bd ${args.join(' ')}\` exited ${r.code}: ${r.stderr.trim()}`); return { failures, result: r, ids }; }
    if (['create', 'new', 'q'].includes(args[0])) ids.push(parse(r.stdout)?.id ?? r.stdout.trim());
  }
  const args = row.run.map((a) => fill(a, ids, actor));
  const result = await bd(args, { stdin: row.stdin, env: row.env });
  failures.push(...check(result, row.expect, ids, actor).map((f) => `bd ${args.join(' ')}: ${f}`));
  for (const t of row.then ?? []) {
    const targs = t.run.map((a) => fill(a, ids, actor));
    const r = await bd(targs, {});
    failures.push(...check(r, t.expect, ids, actor).map((f) => `then bd ${targs.join(' ')}: ${f}`));
  }
  return { failures, result, ids };
}
