import { InvocationContext } from '@azure/functions';

import { notFound, ServiceError, unauthenticated, UpstreamError } from '../../../src/domain/errors';
import { errorToResponse } from '../../../src/http/problem';

const contextWithLogs = () => {
  const lines: string[] = [];
  const context = new InvocationContext({
    invocationId: 'inv-1',
    functionName: 'f',
    logHandler: (level, ...args) => lines.push(`${level} ${args.join(' ')}`),
  });
  return { context, lines };
};

describe('errorToResponse', () => {
  it('turns a ServiceError into Problem Details with the status of its kind and its code', () => {
    const { context } = contextWithLogs();
    const response = errorToResponse(notFound('identity_not_found', 'No identity.'), context);
    expect(response.status).toBe(404);
    expect((response.headers as Record<string, string>)['Content-Type']).toBe('application/problem+json');
    expect(JSON.parse(response.body as string)).toEqual({
      type: 'urn:acs-token-service:problem:identity_not_found',
      title: 'Not found',
      status: 404,
      code: 'identity_not_found',
      detail: 'No identity.',
      instance: 'urn:invocation:inv-1',
    });
  });

  it.each([
    ['invalid_request', 400],
    ['unauthenticated', 401],
    ['forbidden', 403],
    ['not_found', 404],
    ['conflict', 409],
    ['payload_too_large', 413],
    ['unsupported_media_type', 415],
  ] as const)('answers a %s refusal with %d', (kind, status) => {
    expect(errorToResponse(new ServiceError(kind, 'some_code', 'detail'), contextWithLogs().context).status).toBe(
      status,
    );
  });

  it('challenges an unauthenticated caller with WWW-Authenticate', () => {
    const response = errorToResponse(unauthenticated('The token has expired.'), contextWithLogs().context);
    expect((response.headers as Record<string, string>)['WWW-Authenticate']).toBe(
      'Bearer error="invalid_token", error_description="The token has expired."',
    );
  });

  it('answers upstream throttling with 503 and Retry-After, and refusals with 502', () => {
    const { context } = contextWithLogs();
    const throttled = errorToResponse(new UpstreamError('acs', 'throttled', 429, 12.2), context);
    expect(throttled.status).toBe(503);
    expect((throttled.headers as Record<string, string>)['Retry-After']).toBe('13');
    const rejected = errorToResponse(new UpstreamError('acs', 'rejected', 401), context);
    expect(rejected.status).toBe(502);
    expect((rejected.headers as Record<string, string>)['Retry-After']).toBeUndefined();
  });

  it('turns anything else into a generic 500 that leaks nothing, and logs only the error name', () => {
    const { context, lines } = contextWithLogs();
    const secret = new Error('endpoint=https://x/;accesskey=SECRET at /srv/app.js:10');
    const response = errorToResponse(secret, context);
    expect(response.status).toBe(500);
    expect(response.body).not.toContain('SECRET');
    expect(response.body).not.toContain('app.js');
    expect((JSON.parse(response.body as string) as { code: string }).code).toBe('internal_error');
    expect(lines.join('\n')).not.toContain('SECRET');
    expect(lines.join('\n')).toContain('Error');
  });
});
