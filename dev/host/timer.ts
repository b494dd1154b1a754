import { parseTimeSpanInMs } from './host-json';
import type { HostLog, InvocationInput, InvocationOutcome } from './invoker';
import { parseNCronTab, type CronSchedule } from './ncrontab';

/** setTimeout's limit; longer waits are taken in steps. */
const MAX_TIMEOUT_IN_MS = 2_147_483_647;

export interface TimerOptions {
  functionName: string;
  /** NCRONTAB expression (six fields) or a TimeSpan interval such as `00:05:00`. */
  schedule: string;
  runOnStartup: boolean;
  invoke(input: InvocationInput): Promise<InvocationOutcome>;
  log: HostLog;
  now?: () => Date;
}

/** Parses a timer schedule: NCRONTAB, or a TimeSpan interval as the timer extension also accepts. */
export function parseTimerSchedule(schedule: string): CronSchedule {
  const intervalInMs = parseTimeSpanInMs(schedule);
  if (intervalInMs !== undefined && intervalInMs > 0) {
    return { expression: schedule, next: (after) => new Date(after.getTime() + intervalInMs) };
  }
  return parseNCronTab(schedule);
}

/**
 * Fires a timer-triggered function on its schedule (and once at start with runOnStartup).
 * Like the real host, an occurrence is skipped while the previous invocation still runs.
 */
export class TimerListener {
  readonly #options: TimerOptions;
  readonly #schedule: CronSchedule;
  readonly #now: () => Date;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #last: Date | undefined;
  /** The occurrence the timer is armed for: the next one is computed from it, since timers may fire a little early. */
  #armedFor: Date | undefined;
  #stopped = false;

  constructor(options: TimerOptions) {
    this.#options = options;
    this.#schedule = parseTimerSchedule(options.schedule);
    this.#now = options.now ?? (() => new Date());
  }

  start(): void {
    if (this.#options.runOnStartup) {
      this.#fire();
    }
    this.#arm();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #arm(): void {
    if (this.#stopped) {
      return;
    }
    const now = this.#now();
    const next = this.#nextAfter(now);
    if (next === undefined) {
      this.#options.log(
        'warning',
        `[${this.#options.functionName}] Schedule '${this.#options.schedule}' never occurs.`,
      );
      return;
    }
    const waitInMs = next.getTime() - now.getTime();
    if (waitInMs > MAX_TIMEOUT_IN_MS) {
      this.#timer = setTimeout(() => this.#arm(), MAX_TIMEOUT_IN_MS);
      return;
    }
    this.#armedFor = next;
    this.#timer = setTimeout(
      () => {
        this.#fire();
        this.#arm();
      },
      Math.max(waitInMs, 0),
    );
  }

  #nextAfter(now: Date): Date | undefined {
    return this.#schedule.next(this.#armedFor !== undefined && this.#armedFor > now ? this.#armedFor : now);
  }

  #fire(): void {
    if (this.#running !== undefined || this.#stopped) {
      return;
    }
    const now = this.#now();
    const next = this.#nextAfter(now);
    const timerInfo = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: (this.#last ?? new Date(0)).toISOString(),
        Next: next?.toISOString() ?? null,
        LastUpdated: now.toISOString(),
      },
      IsPastDue: false,
    };
    this.#last = now;
    this.#running = this.#options
      .invoke({ reason: `Timer fired at ${now.toISOString()}`, triggerData: { json: JSON.stringify(timerInfo) } })
      .then(() => undefined)
      .finally(() => {
        this.#running = undefined;
      });
  }
}
