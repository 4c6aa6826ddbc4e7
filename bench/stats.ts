// Percentiles and formatting for benchmarks. Benchmarks report medians and
// ratios from one run; they are never timed tests.

/**
 * The p-th percentile, interpolated linearly between the two closest ranks
 * (the definition of numpy's default and Excel's PERCENTILE.INC): with n
 * samples, rank (n - 1) * p / 100 from 0. So p95 of 8 samples is not simply
 * the maximum, and p50 of an even count is the mean of the middle two.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = ((sorted.length - 1) * Math.min(100, Math.max(0, p))) / 100;
  const lo = Math.floor(rank);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export interface Summary { n: number; p50: number; p95: number; p99: number; min: number; max: number }

export function summarize(values: readonly number[]): Summary {
  return { n: values.length, p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99), min: Math.min(...values), max: Math.max(...values) };
}

export function fmt(s: Summary, unit = 'ms'): string {
  const f = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));
  return `p50 ${f(s.p50)} ${unit}  p95 ${f(s.p95)}  p99 ${f(s.p99)}  (n=${s.n}, min ${f(s.min)}, max ${f(s.max)})`;
}
