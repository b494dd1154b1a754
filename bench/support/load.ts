import autocannon from 'autocannon';

export interface LoadResult {
  result: autocannon.Result;
  /** Answers received (2xx and others). */
  completed: number;
  /** From the start until the last answer: autocannon's own `duration` only ends on its next 1 s sample tick. */
  seconds: number;
  requestsPerSecond: number;
}

/** A POST to `path` whose bearer token cycles through `bearers`, one per request. */
export function rotatingBearer(path: string, bearers: readonly string[]): autocannon.Request {
  let next = 0;
  return {
    method: 'POST',
    path,
    setupRequest: (request) => ({
      ...request,
      headers: { ...request.headers, authorization: `Bearer ${bearers[next++ % bearers.length]}` },
    }),
  };
}

/** Runs autocannon and times it to the last answer, for exact requests/s. */
export async function fire(options: autocannon.Options): Promise<LoadResult> {
  let lastAnswerAt = 0;
  const requests = (options.requests ?? [{}]).map((request) => ({
    ...request,
    onResponse: (...args: Parameters<NonNullable<autocannon.Request['onResponse']>>) => {
      lastAnswerAt = performance.now();
      request.onResponse?.(...args);
    },
  }));
  const started = performance.now();
  const result = await autocannon({ ...options, requests });
  const completed = result['2xx'] + result.non2xx;
  const seconds = ((lastAnswerAt || performance.now()) - started) / 1000;
  return { result, completed, seconds, requestsPerSecond: completed / seconds };
}
