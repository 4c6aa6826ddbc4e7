// An SVG of the fleet benchmark (bench/fleet-bench.ts): the burst's cycle p50
// and the convergence time against the number of workspaces, both modes.
// Pure: results in, SVG text out; fleet-bench.ts writes it with --svg FILE.

import type { FleetResult } from './fleet-bench.js';

const W = 360;
const H = 240;
const PAD = { l: 56, r: 16, t: 28, b: 40 };
const COLORS: Record<string, string> = { queue: '#1b6ac9', direct: '#d1495b' };

function panel(x0: number, title: string, results: readonly FleetResult[], value: (r: FleetResult) => number): string {
  const ns = [...new Set(results.map((r) => r.workspaces))].sort((a, b) => a - b);
  const vals = results.map(value).filter((v) => Number.isFinite(v));
  const ymax = Math.max(1, ...vals) * 1.1;
  const xmin = Math.min(...ns);
  const xmax = Math.max(...ns);
  const sx = (n: number): number => x0 + PAD.l + (xmax === xmin ? 0.5 : (n - xmin) / (xmax - xmin)) * (W - PAD.l - PAD.r);
  const sy = (v: number): number => PAD.t + (1 - v / ymax) * (H - PAD.t - PAD.b);
  const out: string[] = [`<text x="${x0 + W / 2}" y="16" text-anchor="middle" font-size="13">${title}</text>`];
  out.push(`<line x1="${x0 + PAD.l}" y1="${sy(0)}" x2="${x0 + W - PAD.r}" y2="${sy(0)}" stroke="#444"/>`, `<line x1="${x0 + PAD.l}" y1="${PAD.t}" x2="${x0 + PAD.l}" y2="${sy(0)}" stroke="#444"/>`);
  for (let k = 0; k <= 4; k++) {
    const v = (ymax / 4) * k;
    out.push(`<text x="${x0 + PAD.l - 6}" y="${sy(v) + 4}" text-anchor="end" font-size="10">${(v / 1000).toFixed(1)} s</text>`);
  }
  for (const n of ns) out.push(`<text x="${sx(n)}" y="${H - PAD.b + 16}" text-anchor="middle" font-size="10">${n}</text>`);
  out.push(`<text x="${x0 + W / 2}" y="${H - 6}" text-anchor="middle" font-size="11">workspaces</text>`);
  for (const mode of ['queue', 'direct'] as const) {
    const pts = results.filter((r) => r.mode === mode && Number.isFinite(value(r))).sort((a, b) => a.workspaces - b.workspaces);
    if (pts.length === 0) continue;
    out.push(`<polyline fill="none" stroke="${COLORS[mode]}" stroke-width="2" points="${pts.map((r) => `${sx(r.workspaces).toFixed(1)},${sy(value(r)).toFixed(1)}`).join(' ')}"/>`);
    for (const r of pts) out.push(`<circle cx="${sx(r.workspaces).toFixed(1)}" cy="${sy(value(r)).toFixed(1)}" r="3" fill="${COLORS[mode]}"/>`);
  }
  return out.join('\n');
}

export function fleetSvg(results: readonly FleetResult[]): string {
  const legend = (['queue', 'direct'] as const).map((m, i) => `<rect x="${2 * W - 150 + i * 70}" y="${H + 4}" width="10" height="10" fill="${COLORS[m]}"/><text x="${2 * W - 136 + i * 70}" y="${H + 13}" font-size="11">${m}</text>`).join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 20}" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="white"/>',
    panel(0, 'burst: sync cycle p50 (all at once)', results, (r) => r.burst_cycle.p50),
    panel(W, 'last write until every replica is identical', results, (r) => r.convergence_ms),
    legend,
    '</svg>',
    '',
  ].join('\n');
}
