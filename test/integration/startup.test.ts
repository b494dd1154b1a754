import { startTestStack } from '../helpers/stack';

describe('start-up configuration check', () => {
  it('refuses to start with a missing setting, naming it and not echoing secrets', async () => {
    const failure = await startTestStack({
      AUTH_AUDIENCES: '',
      ACS_CONNECTION_STRING: 'endpoint=http://10.1.2.3/;accesskey=c2VjcmV0LXZhbHVl',
    }).then(
      async (stack) => {
        await stack.stop();
        throw new Error('the stack started');
      },
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/AUTH_AUDIENCES: at least one audience is required/);
    expect(failure).toMatch(/ACS_CONNECTION_STRING: the endpoint must use https/);
    expect(failure).not.toContain('c2VjcmV0LXZhbHVl');
  });
});
