// NCRONTAB schedules of timer triggers: six fields, `{second} {minute} {hour} {day} {month} {day-of-week}`,
// each `*`, a value, a range `a-b`, a step `*/n` or `a-b/n`, or a comma-separated list of those.
// Months and days of week may be named (`JAN`, `MON`). As in NCrontab, a day must match both
// the day-of-month and the day-of-week field.

export interface CronSchedule {
  expression: string;
  /**
   * @returns the first occurrence strictly after `after` (local time, whole seconds), or
   * undefined when none comes within five years (e.g. `0 0 0 30 2 *`).
   */
  next(after: Date): Date | undefined;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  { name: 'day-of-week', min: 0, max: 6, names: DAY_NAMES },
];

const SEARCH_LIMIT_IN_MS = 5 * 366 * 24 * 60 * 60 * 1000;

/**
 * Parses a six-field NCRONTAB expression.
 *
 * @throws naming the field when the expression is malformed.
 */
export function parseNCronTab(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== FIELDS.length) {
    throw new Error(
      `'${expression}' is not a valid NCRONTAB expression: expected 6 fields ({second} {minute} {hour} {day} {month} {day-of-week}), found ${parts.length}.`,
    );
  }
  const [seconds, minutes, hours, days, months, daysOfWeek] = FIELDS.map((field, index) =>
    parseField(parts[index], field, expression),
  ) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];

  return {
    expression,
    next(after: Date): Date | undefined {
      const limit = after.getTime() + SEARCH_LIMIT_IN_MS;
      const t = new Date(after.getTime());
      t.setMilliseconds(0);
      t.setSeconds(t.getSeconds() + 1);
      while (t.getTime() <= limit) {
        if (!months.has(t.getMonth() + 1)) {
          t.setMonth(t.getMonth() + 1, 1);
          t.setHours(0, 0, 0);
        } else if (!days.has(t.getDate()) || !daysOfWeek.has(t.getDay())) {
          t.setDate(t.getDate() + 1);
          t.setHours(0, 0, 0);
        } else if (!hours.has(t.getHours())) {
          t.setHours(t.getHours() + 1, 0, 0);
        } else if (!minutes.has(t.getMinutes())) {
          t.setMinutes(t.getMinutes() + 1, 0);
        } else if (!seconds.has(t.getSeconds())) {
          t.setSeconds(t.getSeconds() + 1);
        } else {
          return t;
        }
      }
      return undefined;
    },
  };
}

function parseField(text: string, field: FieldSpec, expression: string): Set<number> {
  const fail = (reason: string): never => {
    throw new Error(`'${expression}' is not a valid NCRONTAB expression: ${field.name} field '${text}' ${reason}.`);
  };
  const value = (token: string): number => {
    const named = field.names?.indexOf(token.toUpperCase()) ?? -1;
    if (named >= 0) {
      return named + field.min;
    }
    if (!/^\d+$/.test(token)) {
      fail(`has '${token}', which is not a number`);
    }
    const number = Number(token);
    if (number < field.min || number > field.max) {
      fail(`has ${number}, outside ${field.min}-${field.max}`);
    }
    return number;
  };

  const values = new Set<number>();
  for (const item of text.split(',')) {
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined || range === '') {
      fail('is malformed');
    }
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) {
      fail(`has the step '${stepText ?? ''}', which is not a positive integer`);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = field.min;
      to = field.max;
    } else if (range.includes('-')) {
      const [start = '', end = ''] = range.split('-');
      from = value(start);
      to = value(end);
      if (from > to) {
        fail(`has the range ${range}, which ends before it starts`);
      }
    } else {
      from = value(range);
      to = stepText === undefined ? from : field.max;
    }
    for (let current = from; current <= to; current += step) {
      values.add(current);
    }
  }
  return values;
}
