import { parseArgs } from 'node:util';

/**
 * Reads `--name value` integer options, e.g. `node dist/bench/webhook-burst.js --events 400`; unknown flags fail.
 * @param defaults - every accepted option and its default
 */
export function integerOptions<T extends Record<string, number>>(defaults: T): T {
  const { values } = parseArgs({
    options: Object.fromEntries(Object.keys(defaults).map((name) => [name, { type: 'string' as const }])),
    strict: true,
  });
  const result: Record<string, number> = { ...defaults };
  for (const [name, raw] of Object.entries(values)) {
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`--${name} must be a positive integer, not "${String(raw)}"`);
    result[name] = value;
  }
  return result as T;
}
