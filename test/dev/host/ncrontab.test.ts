import { parseNCronTab } from '../../../dev/host/ncrontab';

// Local time, as the schedules are evaluated in the host's time zone.
const at = (text: string): Date => new Date(text);
const next = (expression: string, after: string): string | undefined => {
  const occurrence = parseNCronTab(expression).next(at(after));
  return occurrence === undefined ? undefined : localIso(occurrence);
};
const localIso = (date: Date): string => {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
};

describe('NCRONTAB schedules', () => {
  it.each([
    ['*/5 * * * * *', '2024-03-10T10:00:03', '2024-03-10T10:00:05'],
    ['*/5 * * * * *', '2024-03-10T10:00:05', '2024-03-10T10:00:10'],
    ['0 */5 * * * *', '2024-03-10T10:03:00', '2024-03-10T10:05:00'],
    ['0 30 9 * * *', '2024-03-10T10:00:00', '2024-03-11T09:30:00'],
    ['0 0 9-17/4 * * *', '2024-03-10T13:00:00', '2024-03-10T17:00:00'],
    ['0 0 0 1 * *', '2024-01-31T12:00:00', '2024-02-01T00:00:00'],
    ['0 0 12 * * MON-FRI', '2024-03-09T13:00:00', '2024-03-11T12:00:00'], // Saturday -> Monday
    ['0 0 12 * * 0', '2024-03-10T13:00:00', '2024-03-17T12:00:00'], // Sunday is 0
    ['0 0 0 29 FEB *', '2024-03-01T00:00:00', '2028-02-29T00:00:00'],
    ['0 15,45 * * * *', '2024-03-10T10:16:00', '2024-03-10T10:45:00'],
    ['10-12 * * * * *', '2024-03-10T10:00:12', '2024-03-10T10:01:10'],
    ['0 0 0 13 * FRI', '2024-01-01T00:00:00', '2024-09-13T00:00:00'], // day and day-of-week must both match
  ])('%s after %s is %s', (expression, after, expected) => {
    expect(next(expression, after)).toBe(expected);
  });

  it('is strictly after the given time, on whole seconds', () => {
    expect(next('* * * * * *', '2024-03-10T10:00:00.500')).toBe('2024-03-10T10:00:01');
  });

  it('finds no occurrence for an impossible date', () => {
    expect(next('0 0 0 30 2 *', '2024-01-01T00:00:00')).toBeUndefined();
  });

  it.each([
    ['0 * * * *', /expected 6 fields/],
    ['60 * * * * *', /second field '60' has 60, outside 0-59/],
    ['* * 24 * * *', /hour field/],
    ['* * * * 13 *', /month field/],
    ['*/0 * * * * *', /step/],
    ['5-1 * * * * *', /ends before it starts/],
    ['a * * * * *', /not a number/],
  ])('rejects %s', (expression, message) => {
    expect(() => parseNCronTab(expression)).toThrow(message);
  });
});
