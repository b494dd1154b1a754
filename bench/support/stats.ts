import { cpus, loadavg } from 'node:os';

/** Latency figures of one run, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile (`p` in 0..100) of values sorted ascending: the smallest value with at least p% of values at or below it. */
export function percentile(sortedAscending: readonly number[], p: number): number {
  if (sortedAscending.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sortedAscending.length);
  return sortedAscending[Math.min(sortedAscending.length, Math.max(1, rank)) - 1];
}

export function summarise(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.length > 0 ? total / sorted.length : Number.NaN,
  };
}

export const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
export const p90 = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    90,
  );

export const ms = (value: number): string => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
export const ratio = (value: number): string => `${value.toFixed(2)}x`;

export function formatLatency(summary: LatencySummary): string {
  return `p50 ${ms(summary.p50)}  p90 ${ms(summary.p90)}  p95 ${ms(summary.p95)}  p99 ${ms(summary.p99)}  max ${ms(summary.max)}  (n=${summary.count})`;
}

/** Prints `label ........ value` lines so that a report reads as a table. */
export function line(label: string, value: string): void {
  console.log(`  ${label.padEnd(44, ' ')} ${value}`);
}

export function heading(title: string): void {
  console.log(`\n== ${title}`);
}

/** Counts of each value, e.g. HTTP statuses: `{ "202": 200 }`. */
export function tally(values: readonly (string | number)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
}

/** Node version, cores and load: figures from a busy machine are not comparable with figures from an idle one. */
export function printEnvironment(name: string): void {
  const [one = 0, five = 0] = loadavg();
  console.log(
    `${name}: Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), load average ${one.toFixed(2)} (1 min) ${five.toFixed(2)} (5 min), ${new Date().toISOString()}`,
  );
}
