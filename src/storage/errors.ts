import { UpstreamError } from '../domain/errors';

export interface StorageRestError extends Error {
  statusCode?: number;
  details?: { errorCode?: string };
}

export function isStorageStatus(error: unknown, ...statuses: number[]): error is StorageRestError {
  return (
    error instanceof Error &&
    error.name === 'RestError' &&
    statuses.includes((error as StorageRestError).statusCode ?? -1)
  );
}

/** Storage SDK errors become UpstreamErrors (status kept, message dropped); anything else is rethrown unchanged. */
export function translateStorageError(error: unknown, service: 'storage' | 'queue' = 'storage'): unknown {
  if (error instanceof UpstreamError) return error;
  if (error instanceof Error && error.name === 'AbortError') return new UpstreamError(service, 'timeout');
  if (!(error instanceof Error) || error.name !== 'RestError') return error;
  const status = (error as StorageRestError).statusCode;
  if (status === undefined) return new UpstreamError(service, 'unavailable');
  if (status === 429 || status === 503) return new UpstreamError(service, 'throttled', status);
  if (status >= 500) return new UpstreamError(service, 'unavailable', status);
  return new UpstreamError(service, 'rejected', status);
}

/** Runs a storage call with a deadline and translated errors. */
export async function storageCall<T>(
  timeoutInMs: number,
  operation: (abortSignal: AbortSignal) => Promise<T>,
  service: 'storage' | 'queue' = 'storage',
): Promise<T> {
  const abortSignal = AbortSignal.timeout(timeoutInMs);
  try {
    return await operation(abortSignal);
  } catch (error) {
    throw abortSignal.aborted ? new UpstreamError(service, 'timeout') : translateStorageError(error, service);
  }
}
