import {
  cleanupGuests,
  createInvitation,
  getInvitation,
  redeemInvitation,
  revokeInvitation,
} from '../../../src/handlers/invitations';
import { bodyOf, context, routedRequest, testServices } from '../../support/services';

const guestKey = 'a-guest-key-of-32-characters-000';

describe('invitation handlers (in process)', () => {
  const invite = async (services: ReturnType<typeof testServices>['services'], json: unknown = {}) => {
    const response = await createInvitation(services)(
      routedRequest('POST', 'invitations', '/api/invitations', { token: 'user:host', json }),
      context(),
    );
    return response;
  };

  const redeemWith = (services: ReturnType<typeof testServices>['services'], code: string, key = guestKey) =>
    redeemInvitation(services)(
      routedRequest('POST', 'guest/tokens', '/api/guest/tokens', { json: { code, guestKey: key } }),
      context(),
    );

  it('answers 201 with the code, once, and Location; 401 without a bearer token', async () => {
    const { services } = testServices();
    const response = await invite(services, { maxRedemptions: 2, context: 'room-1' });
    expect(response.status).toBe(201);
    const body = bodyOf(response);
    expect(body).toMatchObject({ maxRedemptions: 2, scopes: ['voip'], context: 'room-1' });
    expect(response.headers).toMatchObject({ Location: `/api/invitations/${String(body['id'])}` });
    expect(String(body['code'])).toMatch(/^[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
    const anonymous = await createInvitation(services)(
      routedRequest('POST', 'invitations', '/api/invitations', { json: {} }),
      context(),
    );
    expect(anonymous.status).toBe(401);
  });

  it.each([
    ['expiresInMinutes below 5', { expiresInMinutes: 4 }],
    ['expiresInMinutes above 10080', { expiresInMinutes: 10081 }],
    ['maxRedemptions 0', { maxRedemptions: 0 }],
    ['maxRedemptions 101', { maxRedemptions: 101 }],
    ['a context over 256 characters', { context: 'x'.repeat(257) }],
    ['an unknown scope', { scopes: ['admin'] }],
    ['an unknown property', { code: 'x' }],
  ])('answers 400 to %s', async (_name, json) => {
    const { services } = testServices();
    const response = await invite(services, json);
    expect(response.status).toBe(400);
    expect(bodyOf(response)['code']).toBe('invalid_request');
  });

  it('redeems: 201, the same guest key again 200 with the same identity, another key on a used-up one 410', async () => {
    const { services } = testServices();
    const { code } = bodyOf(await invite(services)) as { code: string };
    const redeem = (key: string) => redeemWith(services, code, key);
    const first = await redeem(guestKey);
    expect(first.status).toBe(201);
    expect(first.headers).toMatchObject({ 'Cache-Control': 'no-store' });
    const again = await redeem(guestKey);
    expect(again.status).toBe(200);
    expect(bodyOf(again)['communicationUserId']).toBe(bodyOf(first)['communicationUserId']);
    const other = await redeem('another-guest-key-0000000000000');
    expect(other.status).toBe(410);
    expect(bodyOf(other)['code']).toBe('used_up');
  });

  it.each([
    ['no body', undefined],
    ['a guest key too short', { code: 'x', guestKey: 'short' }],
    ['a guest key with other characters', { code: 'x', guestKey: 'a/b'.repeat(8) }],
    ['no code', { guestKey }],
  ])('answers 400 to a redemption with %s', async (_name, json) => {
    const { services } = testServices();
    const response = await redeemInvitation(services)(
      routedRequest('POST', 'guest/tokens', '/api/guest/tokens', json === undefined ? {} : { json }),
      context(),
    );
    expect(response.status).toBe(400);
  });

  it('answers 404 invitation_not_found to an unknown code', async () => {
    const { services } = testServices();
    const response = await redeemInvitation(services)(
      routedRequest('POST', 'guest/tokens', '/api/guest/tokens', {
        json: { code: `${'A'.repeat(16)}.${'B'.repeat(43)}`, guestKey },
      }),
      context(),
    );
    expect(response.status).toBe(404);
    expect(bodyOf(response)['code']).toBe('invitation_not_found');
  });

  it('shows the invitation to its inviter (never the code), 404 to a stranger; revoking answers 204', async () => {
    const { services, live } = testServices();
    const { id, code } = bodyOf(await invite(services)) as { id: string; code: string };
    const guest = bodyOf(await redeemWith(services, code)) as { communicationUserId: string };
    const as = (token: string) => routedRequest('GET', 'invitations/{id}', `/api/invitations/${id}`, { token });
    const seen = await getInvitation(services)(as('user:host'), context());
    expect(seen.status).toBe(200);
    expect(bodyOf(seen)).toMatchObject({
      id,
      state: 'used_up',
      redemptions: 1,
      guests: [{ communicationUserId: guest.communicationUserId, redeemedAt: expect.any(String) }],
    });
    expect(JSON.stringify(bodyOf(seen))).not.toContain(code.split('.')[1]);
    expect((await getInvitation(services)(as('user:stranger'), context())).status).toBe(404);
    const revoke = (token: string) =>
      revokeInvitation(services)(
        routedRequest('DELETE', 'invitations/{id}', `/api/invitations/${id}`, { token }),
        context(),
      );
    expect((await revoke('user:stranger')).status).toBe(404);
    expect((await revoke('user:host')).status).toBe(204);
    expect(live.has(guest.communicationUserId)).toBe(false);
  });

  it('the clean-up timer deletes the guests of expired invitations and logs what it did', async () => {
    const { services, live, invitationStore } = testServices();
    const { id, code } = bodyOf(await invite(services)) as { id: string; code: string };
    const guest = bodyOf(await redeemWith(services, code)) as { communicationUserId: string };
    const stored = invitationStore.invitations.get(id)!;
    invitationStore.invitations.set(id, { ...stored, expiresOn: new Date(Date.now() - 1) });
    for (const due of invitationStore.due.values()) due.dueAt = new Date(Date.now() - 1);
    const log = context();
    await cleanupGuests(services)({} as never, log);
    expect(live.has(guest.communicationUserId)).toBe(false);
    expect(log.lines.join('\n')).toContain('Cleaned up 1 invitation(s): 1 guest identities deleted');
  });
});
