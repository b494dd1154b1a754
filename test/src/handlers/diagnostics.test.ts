import { diagnoseAcs } from '../../../src/handlers/diagnostics';
import { AcsUnauthorizedError, UpstreamError } from '../../../src/domain/errors';
import { bodyOf, context, request, testServices } from '../../support/services';

describe('diagnoseAcs handler (in process)', () => {
  it('creates a throwaway identity, deletes it again and answers 200 with the time it took', async () => {
    const { services, acs, live } = testServices();
    const response = await diagnoseAcs(services)(request('POST', '/api/diagnostics/acs'), context());
    expect(response.status).toBe(200);
    expect(bodyOf(response)).toEqual({ status: 'ok', durationInMs: expect.any(Number) });
    expect(acs.createUser).toHaveBeenCalledTimes(1);
    expect(acs.deleteUser).toHaveBeenCalledWith(await acs.createUser.mock.results[0]?.value);
    expect(live.size).toBe(0);
  });

  it('answers 502 acs_rejected when ACS refuses the credentials', async () => {
    const { services, acs } = testServices();
    acs.createUser.mockRejectedValueOnce(new AcsUnauthorizedError());
    const response = await diagnoseAcs(services)(request('POST', '/api/diagnostics/acs'), context());
    expect(response.status).toBe(502);
    expect(bodyOf(response)['code']).toBe('acs_rejected');
    expect(acs.deleteUser).not.toHaveBeenCalled();
  });

  it('names the leftover identity in the log and answers 503 with Retry-After when the delete is throttled', async () => {
    const { services, acs, live } = testServices();
    acs.deleteUser.mockRejectedValueOnce(new UpstreamError('acs', 'throttled', 429, 30));
    const log = context();
    const response = await diagnoseAcs(services)(request('POST', '/api/diagnostics/acs'), log);
    expect(response.status).toBe(503);
    expect(response.headers).toMatchObject({ 'Retry-After': '30' });
    const [leftover] = [...live];
    expect(leftover).toMatch(/^8:acs:/);
    expect(log.lines.join('\n')).toContain(`could not delete the throwaway ACS identity ${leftover}`);
  });
});
