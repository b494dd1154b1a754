import { health, openApi } from '../../../src/handlers/health';
import { bodyOf, context, request, testServices } from '../../support/services';

describe('health and OpenAPI handlers (in process)', () => {
  it('health answers 200 without touching any dependency', async () => {
    const { services, acs } = testServices();
    const response = await health(services)(request('GET', '/api/health'), context());
    expect(response.status).toBe(200);
    expect(bodyOf(response)['status']).toBe('ok');
    expect(acs.createUser).not.toHaveBeenCalled();
  });

  it('openApi serves an OpenAPI 3.1 document listing every operation', async () => {
    const { services } = testServices();
    const document = bodyOf(await openApi(services)(request('GET', '/api/openapi.json'), context()));
    expect(document['openapi']).toBe('3.1.0');
    const operations = Object.values(
      document['paths'] as Record<string, Record<string, { operationId: string }>>,
    ).flatMap((methods) => Object.values(methods).map((operation) => operation.operationId));
    expect(operations).toEqual(expect.arrayContaining(['issueToken', 'adminEnableUser', 'standardWebhook']));
  });
});
