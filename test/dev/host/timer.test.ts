import type { InvocationInput, InvocationOutcome } from '../../../dev/host/invoker';
import { parseTimerSchedule, TimerListener } from '../../../dev/host/timer';

describe('TimerListener', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date(2024, 2, 10, 10, 0, 0, 0) }));
  afterEach(() => jest.useRealTimers());

  function listener(schedule: string, runOnStartup: boolean): { timer: TimerListener; inputs: InvocationInput[] } {
    const inputs: InvocationInput[] = [];
    const invoke = async (input: InvocationInput): Promise<InvocationOutcome> => {
      inputs.push(input);
      return { succeeded: true, invocationId: 'id', response: {} };
    };
    return {
      timer: new TimerListener({ functionName: 'tick', schedule, runOnStartup, invoke, log: () => undefined }),
      inputs,
    };
  }

  it('fires on the schedule with a timer input that is not past due', async () => {
    const { timer, inputs } = listener('*/5 * * * * *', false);
    timer.start();

    await jest.advanceTimersByTimeAsync(12_000);
    await timer.stop();

    expect(inputs).toHaveLength(2);
    const info = JSON.parse(inputs[1]?.triggerData.json ?? '{}') as {
      IsPastDue: boolean;
      ScheduleStatus: { Next: string };
    };
    expect(info.IsPastDue).toBe(false);
    expect(new Date(info.ScheduleStatus.Next).getTime()).toBe(new Date(2024, 2, 10, 10, 0, 15).getTime());
  });

  it('fires once at start with runOnStartup, and never after stop()', async () => {
    const { timer, inputs } = listener('0 0 0 1 1 *', true);
    timer.start();
    await timer.stop();

    await jest.advanceTimersByTimeAsync(60_000);

    expect(inputs).toHaveLength(1);
  });

  it('accepts a TimeSpan interval as schedule', () => {
    expect(parseTimerSchedule('00:05:00').next(new Date(0))?.getTime()).toBe(5 * 60 * 1000);
  });
});
