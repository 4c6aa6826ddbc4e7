// Whole-number settings read from the environment (timeouts, polls, batch sizes), one rule for all.

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `name`'s value when it is a whole number within [min, max]; otherwise (unset, blank, fractional, a word,
 * out of range) `fallback`. Blank is unset: a `FOO=` in a unit file never means 0.
 */
export function envInteger(env: Env, name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const v = env[name];
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : fallback;
}
