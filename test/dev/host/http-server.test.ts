import { serializeCookie } from '../../../dev/host/http-server';

describe('response cookies', () => {
  it('writes Set-Cookie like ASP.NET Core: encoded value, then expires, max-age, domain, path, secure, samesite, httponly', () => {
    expect(
      serializeCookie({
        name: 'session',
        value: 'a b;c',
        expires: { value: { seconds: Date.UTC(2030, 0, 2, 3, 4, 5) / 1000 } },
        maxAge: { value: 60 },
        domain: { value: 'example.com' },
        path: { value: '/api' },
        secure: { value: true },
        sameSite: 'explicitNone',
        httpOnly: { value: true },
      }),
    ).toBe(
      'session=a%20b%3Bc; expires=Wed, 02 Jan 2030 03:04:05 GMT; max-age=60; domain=example.com; path=/api; secure; samesite=none; httponly',
    );
  });

  it('defaults the path to / and leaves SameSite out when it was not set', () => {
    expect(serializeCookie({ name: 'a', value: '1', sameSite: 'none' })).toBe('a=1; path=/');
    expect(serializeCookie({ name: 'a', value: '1', sameSite: 'strict' })).toBe('a=1; path=/; samesite=strict');
  });
});
