import { createCorsPolicy, isPreflightRequest, preflightHeaders, responseHeaders } from '../../../dev/host/cors';

describe('CORS policy', () => {
  it('is off without origins', () => {
    expect(createCorsPolicy(undefined, true)).toBeUndefined();
    expect(createCorsPolicy(' , ', false)).toBeUndefined();
  });

  it('allows listed origins, case-insensitively, with Vary: Origin and credentials when enabled', () => {
    const policy = createCorsPolicy('http://a.example, https://B.example/', true);
    if (policy === undefined) throw new Error('no policy');

    expect(responseHeaders(policy, 'https://b.example')).toEqual({
      'Access-Control-Allow-Origin': 'https://b.example',
      Vary: 'Origin',
      'Access-Control-Allow-Credentials': 'true',
    });
    expect(responseHeaders(policy, 'http://other.example')).toBeUndefined();
    expect(responseHeaders(policy, undefined)).toBeUndefined();
  });

  it('answers * for any origin, and never with credentials', () => {
    const policy = createCorsPolicy('*', true);
    if (policy === undefined) throw new Error('no policy');

    expect(responseHeaders(policy, 'http://anything.example')).toEqual({ 'Access-Control-Allow-Origin': '*' });
  });

  it('echoes the requested method and headers in a preflight for an allowed origin', () => {
    const policy = createCorsPolicy('http://a.example', false);
    if (policy === undefined) throw new Error('no policy');

    expect(preflightHeaders(policy, 'http://a.example', 'DELETE', 'authorization')).toEqual({
      'Access-Control-Allow-Origin': 'http://a.example',
      Vary: 'Origin',
      'Access-Control-Allow-Methods': 'DELETE',
      'Access-Control-Allow-Headers': 'authorization',
    });
    expect(preflightHeaders(policy, 'http://b.example', 'DELETE', undefined)).toBeUndefined();
  });

  it('recognises a preflight by OPTIONS + Origin + Access-Control-Request-Method only', () => {
    expect(isPreflightRequest('OPTIONS', { origin: 'http://a.example', 'access-control-request-method': 'POST' })).toBe(
      true,
    );
    expect(isPreflightRequest('OPTIONS', { origin: 'http://a.example' })).toBe(false);
    expect(isPreflightRequest('OPTIONS', { 'webhook-request-origin': 'eventgrid.azure.net' })).toBe(false);
    expect(isPreflightRequest('GET', { origin: 'http://a.example', 'access-control-request-method': 'POST' })).toBe(
      false,
    );
  });
});
