import { CommunicationIdentityClient } from '@azure/communication-identity';
import { Webhook } from 'standardwebhooks';

import { SplitStack } from '../helpers/split-stack';
import { eventRowKey } from '../../src/storage/keys';
import { adminUserPath } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait';

const STANDARD_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/**
 * As an attacker and as a crashing cloud would: races between creates and deletes, concurrent deletes, a host
 * killed mid-request, revocations at the instant of creation, an identity provider's decision the user tries to
 * undo, and cross-issuer webhooks. The end state is checked against the ACS emulator and the table, not the logs.
 */
describe('hardening: races, crashes and revocation that holds', () => {
  let stack: SplitStack;
  const fastQueue = {
    AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:00',
    AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.200',
    STANDARD_WEBHOOK_SECRETS: STANDARD_SECRET,
    RECONCILE_AFTER_SECONDS: '5',
  };

  beforeAll(async () => {
    stack = await SplitStack.start();
    await stack.startHost(fastQueue);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  const firstToken = (bearer: string) => stack.api('/api/tokens', { method: 'POST', token: bearer });
  const verify = async (token: string) => (await stack.acsControl<{ valid: boolean }>('verify', { token })).valid;
  /** Delivers a Standard Webhooks event, signed with the configured secret, as `id`. */
  const sendStandard = (id: string, body: string) => {
    const now = new Date();
    const headers = {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(STANDARD_SECRET).sign(id, now, body),
    };
    return stack.api('/api/webhooks/events', { method: 'POST', body, headers });
  };
  const settled = async () => {
    // Every request has returned; the table and ACS must now agree.
    const state = await stack.consistency();
    expect({ orphans: state.orphans, dangling: state.dangling, deleting: state.deleting }).toEqual({
      orphans: [],
      dangling: [],
      deleting: 0,
    });
    return state;
  };

  it('100 concurrent first requests for one user: one identity, one mapping, one ACS create and no delete', async () => {
    const bearer = await stack.token('race-100');
    const before = await stack.acsControl<Record<string, number>>('stats');
    const responses = await Promise.all(Array.from({ length: 100 }, () => firstToken(bearer)));
    const after = await stack.acsControl<Record<string, number>>('stats');
    // Claim first, create once: the others wait for the claimant's mapping and get a token for that identity.
    expect(after['createUserAndToken'] - before['createUserAndToken']).toBe(1);
    expect((after['deleteUser'] ?? 0) - (before['deleteUser'] ?? 0)).toBe(0);
    expect(after['getToken'] - before['getToken']).toBe(99);
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 200)).toHaveLength(99);
    const ids = new Set(
      await Promise.all(
        responses.map(
          async (response) => ((await response.json()) as { communicationUserId: string }).communicationUserId,
        ),
      ),
    );
    expect(ids.size).toBe(1);
    const state = await settled();
    expect(state.live).toBe(1);
    expect(await stack.intents()).toBe(0);
  }, 60_000);

  it('50 interleaved DELETE / first-token rounds for each of 10 users leave no orphan and no dangling mapping', async () => {
    const users = await Promise.all(Array.from({ length: 10 }, (_, i) => stack.token(`interleave-${i}`)));
    const statuses = new Map<number, number>();
    const serverErrors: string[] = [];
    await Promise.all(
      users.map(async (bearer) => {
        const inFlight: Array<Promise<Response>> = [];
        for (let round = 0; round < 50; round += 1) {
          inFlight.push(
            round % 2 === 0 ? firstToken(bearer) : stack.api('/api/identities/me', { method: 'DELETE', token: bearer }),
          );
          await sleep(8);
        }
        for (const response of await Promise.all(inFlight)) {
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          // An overloaded machine may answer 503 storage_timeout (retryable, with Retry-After): a correct answer.
          // Anything else at 5xx (a 502 from a failed ETag condition, a 500) is a defect.
          if (response.status >= 500 && !(response.status === 503 && response.headers.get('retry-after'))) {
            serverErrors.push(`${response.status} ${((await response.json()) as { code: string }).code}`);
          }
        }
      }),
    );
    // 200/201 tokens, 204 deletes, 409 while a delete is in progress: never a 5xx.
    expect(serverErrors).toEqual([]);
    if ((await stack.intents()) > 0) {
      // A write that timed out may have left its outcome open: the reconciler settles it once it is old enough.
      await sleep(5200);
      expect(await stack.runFunction('reconcileIdentities')).toBe(202);
    }
    await settled();
    expect(await stack.intents()).toBe(0);
  }, 120_000);

  it('10 parallel DELETEs of one identity all answer 204', async () => {
    const bearer = await stack.token('parallel-delete');
    const created = (await (await firstToken(bearer)).json()) as { communicationUserId: string; token: string };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => stack.api('/api/identities/me', { method: 'DELETE', token: bearer })),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(204));
    expect(await verify(created.token)).toBe(false);
    expect(await stack.liveIdentities()).not.toContain(created.communicationUserId);
    await settled();
  }, 60_000);

  it('a revocation delivered 0 ms after the identity was created takes effect (whole-second webhook timestamps)', async () => {
    const bearer = await stack.token('revoke-at-once');
    const created = (await (await firstToken(bearer)).json()) as { token: string };
    // No payload timestamp: the event time comes from the whole-second webhook-timestamp header, before createdOn.
    const body = JSON.stringify({ type: 'user.tokens_revoked', data: { userId: 'revoke-at-once' } });
    expect((await sendStandard(`msg_revoke_${Date.now()}`, body)).status).toBe(202);
    await waitFor('the token to be revoked', async () => !(await verify(created.token)));
  }, 30_000);

  it("an identity provider's disable is not undone by the user's older IdP token; an admin can lift it", async () => {
    const bearer = await stack.token('disabled-user');
    const created = (await (await firstToken(bearer)).json()) as { token: string; communicationUserId: string };
    await sleep(1100); // the IdP token's iat has whole seconds: make the event clearly later
    const event = {
      eventType: 'user.lifecycle.deactivate',
      uuid: `okta-${Date.now()}`,
      published: new Date().toISOString(),
      outcome: { result: 'SUCCESS' },
      target: [{ id: 'disabled-user', type: 'User' }],
    };
    const delivery = {
      eventType: 'com.okta.event_hook',
      eventTypeVersion: '1.0',
      cloudEventsVersion: '0.1',
      source: 'x',
      eventId: event.uuid,
      data: { events: [event] },
      eventTime: event.published,
      contentType: 'application/json',
    };
    const accepted = await stack.api('/api/webhooks/okta', {
      method: 'POST',
      json: delivery,
      headers: { authorization: 'local-okta-secret' },
    });
    expect(accepted.status).toBeLessThan(300);
    await waitFor('the ACS token to be revoked', async () => !(await verify(created.token)));

    for (const attempt of [
      firstToken(bearer),
      stack.api('/api/tokens/refresh', { method: 'POST', token: bearer }),
      stack.api('/api/identities', { method: 'POST', token: bearer }),
    ]) {
      const response = await attempt;
      expect(response.status).toBe(403);
      expect(((await response.json()) as { code: string }).code).toBe('user_disabled');
    }
    // Deleting the identity does not lift the decision either.
    expect((await stack.api('/api/identities/me', { method: 'DELETE', token: bearer })).status).toBe(204);
    expect((await firstToken(bearer)).status).toBe(403);

    const admin = await stack.token('ops', { admin: true });
    const user = await stack.api('/api/users/disabled-user', { token: admin });
    expect(await user.json()).toMatchObject({ state: 'none', access: { decision: 'disabled', source: 'okta' } });
    expect((await stack.api('/api/users/disabled-user/enable', { method: 'POST', token: admin })).status).toBe(204);
    expect((await firstToken(bearer)).status).toBe(201);
    const audit = (await (await stack.api('/api/users/disabled-user/audit', { token: admin })).json()) as {
      entries: Array<{ action: string }>;
    };
    expect(audit.entries.map((entry) => entry.action)).toEqual([
      'created',
      'access_restored',
      'deleted',
      'tokens_revoked',
      'access_blocked',
      'created',
    ]);
  }, 30_000);

  it("a Standard Webhooks event naming another issuer is refused: one provider's secret cannot reach another's users", async () => {
    const body = JSON.stringify({
      type: 'user.deleted',
      data: { userId: 'victim', issuer: 'https://login.microsoftonline.com/other-tenant/v2.0' },
    });
    const response = await sendStandard(`msg_cross_${Date.now()}`, body);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 0, ignored: 0, rejected: 1 });
    expect(stack.host_output()).toMatch(/which this webhook's secrets may not act on/);
  });

  it('an identity deleted outside the service is replaced by POST /api/tokens (201) and refresh answers 404', async () => {
    const bearer = await stack.token('deleted-out-of-band');
    const created = (await (await firstToken(bearer)).json()) as { communicationUserId: string };
    await new CommunicationIdentityClient(stack.acs.connectionString, { allowInsecureConnection: true }).deleteUser({
      communicationUserId: created.communicationUserId,
    });
    const refresh = await stack.api('/api/tokens/refresh', { method: 'POST', token: bearer });
    expect(refresh.status).toBe(404);
    const replaced = await firstToken(bearer);
    expect(replaced.status).toBe(201);
    expect(((await replaced.json()) as { communicationUserId: string }).communicationUserId).not.toBe(
      created.communicationUserId,
    );
    await settled();
  }, 30_000);

  /** A GET with the path sent byte for byte (fetch would resolve `%2E%2E` as a dot segment). */
  const rawGet = async (path: string, bearer: string) => {
    const { request } = await import('node:http');
    const url = new URL(stack.hostUrl());
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path, headers: { authorization: `Bearer ${bearer}` } },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  };

  it('admin routes reach exactly the user named, whatever the id holds, as the real host decodes paths', async () => {
    const admin = await stack.token('ops', { admin: true });
    const ids = ['slash/user', 'slash%2Fuser', 'literal%2Fuser', '%41', 'A', 'dots..%2E', '..', 'ünïcødé ✓', 'a?b#c'];
    const identities = new Map<string, string>();
    for (const userId of ids) {
      const bearer = await stack.token(userId);
      const first = await firstToken(bearer);
      expect(first.status).toBe(201);
      identities.set(userId, ((await first.json()) as { communicationUserId: string }).communicationUserId);
    }
    for (const userId of ids) {
      const response = await rawGet(adminUserPath(userId), admin);
      expect(response.status).toBe(200);
      const body = JSON.parse(response.body) as { userId: string; communicationUserId: string };
      expect([body.userId, body.communicationUserId]).toEqual([userId, identities.get(userId)]);
    }
    // In the path, `slash%2Fuser` and `slash%252Fuser` reach the app alike (Kestrel keeps %2F, decodes %25), as do
    // `%2541` and `%41`... so a route value holding `%` is refused instead of guessed.
    for (const path of [
      '/api/users/slash%2Fuser',
      '/api/users/slash%252Fuser',
      '/api/users/%2541',
      '/api/users/bad%ZZ',
    ]) {
      const response = await rawGet(path, admin);
      expect(response.status).toBe(400);
      expect((JSON.parse(response.body) as { code: string }).code).toBe('user_id_needs_query');
    }
    expect(JSON.parse((await rawGet('/api/users/%41', admin)).body)).toMatchObject({ userId: 'A' });
    // `..` as a whole segment is a dot segment: Kestrel removes it before routing, so it reaches no other operation.
    for (const path of ['/api/users/%2E%2E', '/api/users/%2E%2E/revoke', '/api/users/..%2Fdisabled-user']) {
      expect([400, 404]).toContain((await rawGet(path, admin)).status);
    }
  }, 30_000);

  it('accepts only the canonical base64url spelling of a JWT', async () => {
    const bearer = await stack.token('canonical');
    expect((await stack.api('/api/identities', { method: 'POST', token: bearer })).status).toBe(201);
    const [header, payload, signature] = bearer.split('.') as [string, string, string];
    const standardAlphabet = Buffer.from(signature, 'base64url').toString('base64');
    const variants = [
      `${bearer}==`,
      `${header}.${payload}.${standardAlphabet}`,
      `${header}=.${payload}.${signature}`,
      // The same bytes with non-zero unused trailing bits in the last character.
      `${header}.${payload}.${signature.slice(0, -1)}${String.fromCharCode(signature.charCodeAt(signature.length - 1) + 1)}`,
    ].filter((variant) => variant !== bearer);
    for (const variant of variants)
      expect((await stack.api('/api/identities/me', { token: variant })).status).toBe(401);
  });

  it('the local host answers an invalid Host header with 400', async () => {
    const { request } = await import('node:http');
    const url = new URL(stack.hostUrl());
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: '/api/health', headers: { host: 'bad host/x' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(400);
  });

  it('a host killed with 30 first requests and 10 deletes in flight: the reconciler leaves 0 orphans and 0 mappings stuck', async () => {
    const deleters = await Promise.all(Array.from({ length: 10 }, (_, i) => stack.token(`crash-delete-${i}`)));
    for (const bearer of deleters) expect((await firstToken(bearer)).status).toBe(201);
    const creators = await Promise.all(Array.from({ length: 30 }, (_, i) => stack.token(`crash-create-${i}`)));

    const statsBefore = await stack.acsControl<Record<string, number>>('stats');
    await stack.acsControl('faults', [
      { operation: 'createUserAndToken', delayMs: 1500, count: 30 },
      { operation: 'deleteUser', delayMs: 1500, count: 10 },
    ]);
    const inFlight = [
      ...creators.map((bearer) => firstToken(bearer)),
      ...deleters.map((bearer) => stack.api('/api/identities/me', { method: 'DELETE', token: bearer })),
    ].map((request) => request.catch(() => undefined));
    await waitFor('all 40 ACS calls to be in flight', async () => {
      const stats = await stack.acsControl<Record<string, number>>('stats');
      return (
        stats['createUserAndToken'] - statsBefore['createUserAndToken'] >= 30 &&
        stats['deleteUser'] - statsBefore['deleteUser'] >= 10
      );
    });
    await stack.killHost();
    await Promise.all(inFlight);
    await sleep(1700); // ACS finishes the calls it had received: 30 identities nobody knows, 10 deletes done

    const crashed = await stack.consistency();
    expect(crashed.orphans.length).toBeGreaterThanOrEqual(30);
    expect(crashed.deleting).toBe(10);

    await stack.startHost(fastQueue);
    await sleep(5200); // past RECONCILE_AFTER_SECONDS
    expect(await stack.runFunction('reconcileIdentities')).toBe(202);
    const state = await settled();
    expect(state.orphans).toEqual([]);
    expect(await stack.intents()).toBe(0);
    for (const bearer of deleters) expect((await stack.api('/api/identities/me', { token: bearer })).status).toBe(404);
    for (const bearer of creators.slice(0, 3)) expect((await firstToken(bearer)).status).toBe(201);
    await settled();
  }, 90_000);

  it('a claimant SIGKILLed during its ACS create: the next request waits out the lease and creates the identity; the reconciler removes the orphan', async () => {
    const leaseInMs = 6000; // UPSTREAM_TIMEOUT_MS: the claim lasts as long as the ACS call may
    await stack.killHost();
    await stack.startHost({ ...fastQueue, UPSTREAM_TIMEOUT_MS: String(leaseInMs) });
    const bearer = await stack.token('claim-crash');
    const before = await stack.acsControl<Record<string, number>>('stats');
    await stack.acsControl('faults', [{ operation: 'createUserAndToken', delayMs: 1500, count: 1 }]);
    const claimedAt = Date.now();
    const first = firstToken(bearer).catch(() => undefined);
    await waitFor('the claimant to be in its ACS call', async () => {
      const stats = await stack.acsControl<Record<string, number>>('stats');
      return stats['createUserAndToken'] - before['createUserAndToken'] >= 1;
    });
    await stack.killHost();
    await first;
    await stack.startHost({ ...fastQueue, UPSTREAM_TIMEOUT_MS: String(leaseInMs) });

    const next = await firstToken(bearer);
    expect(next.status).toBe(201);
    expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(leaseInMs); // the claim held until its lease ran out
    const { communicationUserId, token } = (await next.json()) as { communicationUserId: string; token: string };
    expect((await stack.consistency()).orphans.length).toBe(1); // the crashed claimant's identity
    await sleep(5200); // past RECONCILE_AFTER_SECONDS
    expect(await stack.runFunction('reconcileIdentities')).toBe(202);
    const state = await settled();
    expect(state.orphans).toEqual([]);
    expect(await stack.intents()).toBe(0);
    expect((await (await stack.api('/api/identities/me', { token: bearer })).json()) as object).toMatchObject({
      communicationUserId,
    });
    expect(await verify(token)).toBe(true);
    const after = await stack.acsControl<Record<string, number>>('stats');
    expect(after['createUserAndToken'] - before['createUserAndToken']).toBe(2);
  }, 90_000);

  it('a delete event older than the recorded delete leaves the identity created after it, and its token, alone', async () => {
    const userId = 'late-delete';
    const send = async (id: string, at: Date) => {
      const body = JSON.stringify({ type: 'user.deleted', timestamp: at.toISOString(), data: { userId } });
      expect((await sendStandard(id, body)).status).toBe(202);
    };
    const admin = await stack.token('ops', { admin: true });
    const old = (await (await firstToken(await stack.token(userId))).json()) as { token: string };
    const deletedAt = new Date();
    await send(`msg_delete_${Date.now()}`, deletedAt);
    await waitFor('the first identity to be deleted', async () => !(await verify(old.token)));

    await sleep(1100); // a sign-in clearly after the decision (iat has whole seconds)
    const again = await firstToken(await stack.token(userId));
    expect(again.status).toBe(201);
    const renewed = (await again.json()) as { communicationUserId: string; token: string };
    const lateId = `msg_delete_late_${Date.now()}`;
    await send(lateId, new Date(deletedAt.getTime() - 1000));
    let outcome: unknown;
    await waitFor('the late event to be processed', async () => {
      const row = await stack
        .table('ProcessedEvents')
        .getEntity<{ state: string; outcome?: string }>('standard', eventRowKey(lateId))
        .catch(() => undefined);
      outcome = row?.outcome;
      return row?.state === 'done';
    });
    expect(outcome).toBe('kept_newer_identity');
    expect(await verify(renewed.token)).toBe(true);
    const user = (await (await stack.api(`/api/users/${userId}`, { token: admin })).json()) as object;
    expect(user).toMatchObject({ communicationUserId: renewed.communicationUserId, state: 'active' });
  }, 30_000);

  it('never logs tokens, JWTs or keys', () => {
    const output = stack.host_output();
    expect(output).toContain('Executed');
    expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
    expect(output).not.toMatch(/accesskey=|AccountKey=|whsec_/i);
  });
});
