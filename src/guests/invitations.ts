// A little over 300 lines: the operations of an invitation's life (create, see, revoke, redeem) read together; the
// clean-up of its guests is in cleanup.ts.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import { conflict, describeError, forbidden, gone, notFound } from '../domain/errors';
import type { Guest, Invitation, InvitationState, InvitationStore } from '../domain/invitations';
import type { AppUser, AuditCause, Principal, TokenScope } from '../domain/model';
import type { IdentityGateway, Logger, MappingStore } from '../domain/ports';
import { nothingTaken, type Quotas } from '../identity/quotas';
import { customIdOf, GuestCleanup } from './cleanup';
import { stateOf } from './state';

export { stateOf } from './state';

export interface InvitationOptions {
  /** When set, only callers with this role may invite. */
  invitationRole?: string;
  adminRole: string;
  allowedScopes: readonly TokenScope[];
  defaultScopes: readonly TokenScope[];
  /** Send a customId with every guest create, so that one whose answer was lost is found again. */
  idempotentCreate: boolean;
  /** How long a redemption holds its guest key while ACS creates the identity: the ACS call's deadline. */
  leaseInMs: number;
}

export interface InvitationRequest {
  scopes?: TokenScope[] | undefined;
  expiresInMinutes?: number | undefined;
  maxRedemptions?: number | undefined;
  context?: string | undefined;
}

export interface InvitationView {
  id: string;
  state: InvitationState;
  redemptions: number;
  maxRedemptions: number;
  expiresOn: Date;
  scopes: TokenScope[];
  context?: string;
  guests: Array<{ communicationUserId: string; redeemedAt: Date }>;
}

export interface GuestToken {
  created: boolean;
  communicationUserId: string;
  token: string;
  expiresOn: Date;
  scopes: TokenScope[];
  context?: string;
}

const defaultValidityInMinutes = 1440;
const notFoundProblem = () =>
  notFound('invitation_not_found', 'No invitation has this code, or it is not yours to see.');
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64url');
const pauseFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Guests: an app user invites, a person without an account redeems the code for a guest ACS identity and token,
 * and the guest identities die with the invitation (revoked at once, expired by the clean-up timer). Guest
 * identities are recorded in the invitation's partition only, never as an app user's mapping; the audit entries
 * go to the inviter's trail.
 */
export class Invitations {
  constructor(
    private readonly store: InvitationStore,
    private readonly mappings: MappingStore,
    private readonly acs: IdentityGateway,
    private readonly options: InvitationOptions,
    private readonly quotas?: Quotas,
  ) {
    this.guests = new GuestCleanup(store, acs, options.idempotentCreate, (invitation, action) =>
      this.audit(invitation, action, { kind: 'cleanup' }, ''),
    );
  }

  private readonly guests: GuestCleanup;

  /** Deletes the guests of invitations that ended (the clean-up timer); see {@link GuestCleanup}. */
  async cleanup(log: Logger, now = new Date()): Promise<{ invitations: number; guestsDeleted: number }> {
    return this.guests.run(log, now);
  }

  /** Creates an invitation; the code is in the answer only (the store keeps its hash). */
  async create(
    inviter: Principal,
    request: InvitationRequest,
    log: Logger,
  ): Promise<{ view: InvitationView; code: string }> {
    if (this.options.invitationRole && !inviter.roles.includes(this.options.invitationRole))
      throw forbidden('invitation_role_required', `Inviting guests requires the ${this.options.invitationRole} role.`);
    const scopes = request.scopes ?? [...this.options.defaultScopes];
    const refused = scopes.filter((scope) => !this.options.allowedScopes.includes(scope));
    if (refused.length > 0)
      throw forbidden('scope_not_allowed', `Guests cannot be given tokens with scope ${refused.join(', ')}.`);
    const receipt = (await this.quotas?.invitation(inviter, log)) ?? nothingTaken;
    const id = randomBytes(12).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    const now = new Date();
    const invitation = await this.store
      .create({
        id,
        inviter: { issuer: inviter.issuer, userId: inviter.userId },
        secretHash: sha256(secret),
        scopes,
        expiresOn: new Date(now.getTime() + (request.expiresInMinutes ?? defaultValidityInMinutes) * 60_000),
        maxRedemptions: request.maxRedemptions ?? 1,
        ...(request.context !== undefined ? { context: request.context } : {}),
        resource: this.acs.resource,
        createdAt: now,
      })
      .catch(async (error: unknown) => {
        await receipt.refund(log);
        throw error;
      });
    await this.audit(invitation, 'invitation_created', { kind: 'caller' }, '');
    return { view: view(invitation, []), code: `${id}.${secret}` };
  }

  /** The invitation as its inviter (or an admin of the inviter's issuer) sees it; 404 for anyone else. */
  async get(viewer: Principal, id: string): Promise<InvitationView> {
    const invitation = await this.visible(viewer, id);
    return view(invitation, await this.store.listGuests(id));
  }

  /** Revokes the invitation and deletes every guest identity made from it (their tokens die). Idempotent. */
  async revoke(viewer: Principal, id: string, log: Logger): Promise<void> {
    let invitation = await this.visible(viewer, id);
    if (!invitation.revokedAt) {
      for (let attempt = 0; attempt < 5 && !invitation.revokedAt; attempt += 1) {
        const revoked = await this.store.revoke(invitation, new Date());
        if (revoked) {
          invitation = revoked;
          await this.audit(invitation, 'invitation_revoked', causeOf(viewer, invitation), '');
        } else {
          invitation = (await this.store.get(id)) ?? invitation;
        }
      }
      if (!invitation.revokedAt) throw conflict('invitation_changed', 'The invitation changed meanwhile; retry.', 1);
    }
    await this.guests.deleteGuests(invitation, log);
  }

  /** Revokes every active invitation of a user (their identity provider disabled or deleted them). */
  async revokeAllOf(inviter: AppUser, cause: AuditCause, log: Logger): Promise<number> {
    let revoked = 0;
    for (const id of await this.store.listByInviter(inviter)) {
      const invitation = await this.store.get(id);
      if (!invitation || invitation.revokedAt || stateOf(invitation) === 'expired') continue;
      const done = await this.store.revoke(invitation, new Date());
      if (!done) continue; // changed meanwhile: the clean-up timer still covers it once revoked or expired
      revoked += 1;
      await this.audit(done, 'invitation_revoked', cause, '');
      await this.guests.deleteGuests(done, log);
    }
    return revoked;
  }

  /**
   * Redeems a code for a guest identity and token. A new guest key is a new redemption (a new guest identity,
   * at most `maxRedemptions` under any concurrency); the same key again gets a fresh token for the same identity.
   */
  async redeem(code: string, guestKey: string, clientIp: string | undefined, log: Logger): Promise<GuestToken> {
    const invitation = await this.byCode(code);
    const keyHash = sha256(guestKey);
    const existing = await this.store.getGuest(invitation.id, keyHash);
    // Only a new guest counts against the address's quota, once per request; refunded when none is made.
    const receipt = existing ? nothingTaken : ((await this.quotas?.guestRedemption(clientIp, log)) ?? nothingTaken);
    try {
      const token = await this.redeemAs(invitation, keyHash, existing, log);
      if (!token.created) await receipt.refund(log);
      return token;
    } catch (error) {
      await receipt.refund(log);
      throw error;
    }
  }

  /** `known`: the guest row as the caller just read it (undefined: none), so the first round reads no row again. */
  private async redeemAs(
    invitation: Invitation,
    keyHash: string,
    known: Guest | undefined,
    log: Logger,
  ): Promise<GuestToken> {
    const deadline = Date.now() + 2 * this.options.leaseInMs + 1000;
    let current = invitation;
    for (let attempt = 0; ; attempt += 1) {
      const state = stateOf(current);
      if (state === 'revoked' || state === 'expired') throw gone(state, `This invitation is ${state}.`);
      const guest = attempt === 0 ? known : await this.store.getGuest(current.id, keyHash);
      if (guest?.communicationUserId && !guest.deletedAt)
        return this.tokenFor(current, guest.communicationUserId, false);
      if (guest?.deletedAt) throw gone('revoked', 'This invitation is revoked.');
      if (guest) {
        // Another request with this key is creating the guest: wait for it, or take over once its lease ran out.
        if (guest.leaseUntil && guest.leaseUntil.getTime() > Date.now()) {
          if (Date.now() > deadline)
            throw conflict('guest_being_created', 'This guest is still being created; retry in a moment.', 1);
          await pauseFor(50 + Math.min(attempt, 4) * 50);
          continue;
        }
        const taken = await this.store.takeOver(current.id, guest, new Date(Date.now() + this.options.leaseInMs));
        if (taken) return this.createGuest(current, taken, log);
        continue;
      }
      if (state === 'used_up') throw gone('used_up', 'This invitation has been used up.');
      const leaseUntil = new Date(Date.now() + this.options.leaseInMs);
      if (await this.store.reserve(current, keyHash, leaseUntil, new Date())) {
        const reserved = await this.store.getGuest(current.id, keyHash);
        if (!reserved) throw conflict('guest_being_created', 'The redemption changed meanwhile; retry.', 1);
        return this.createGuest((await this.store.get(current.id)) ?? current, reserved, log);
      }
      // Another redemption counted itself first (or took this key): read the invitation again and decide again.
      if (Date.now() > deadline) throw conflict('invitation_busy', 'The invitation is busy; retry in a moment.', 1);
      await pauseFor(Math.random() * 20 * Math.min(attempt + 1, 5));
      current = (await this.store.get(current.id)) ?? current;
    }
  }

  private async createGuest(invitation: Invitation, guest: Guest, log: Logger): Promise<GuestToken> {
    const { scopes } = invitation;
    const created = await this.acs.createUserAndToken(scopes, expiresInMinutesFor(invitation), {
      ...(this.options.idempotentCreate ? { customId: customIdOf(invitation, guest) } : {}),
    });
    const recorded = await this.store.recordIdentity(invitation.id, guest, created.communicationUserId);
    const now = (await this.store.get(invitation.id)) ?? invitation;
    if (!recorded || now.revokedAt || stateOf(now) === 'expired') {
      // Revoked (or taken over) while ACS was creating: this identity must not outlive it.
      await this.guests
        .deleteIdentity(created.communicationUserId)
        .catch((error: unknown) =>
          log.warn(`Could not delete guest identity ${created.communicationUserId} (${describeError(error)}).`),
        );
      if (!recorded) throw conflict('guest_being_created', 'This guest changed meanwhile; retry.', 1);
      throw gone(stateOf(now), `This invitation is ${stateOf(now)}.`);
    }
    await this.audit(invitation, 'invitation_redeemed', { kind: 'guest' }, created.communicationUserId);
    return {
      created: true,
      communicationUserId: created.communicationUserId,
      token: created.token,
      expiresOn: created.expiresOn,
      scopes,
      ...(invitation.context !== undefined ? { context: invitation.context } : {}),
    };
  }

  private async tokenFor(invitation: Invitation, communicationUserId: string, created: boolean): Promise<GuestToken> {
    const token = await this.acs.getToken(communicationUserId, invitation.scopes, expiresInMinutesFor(invitation));
    return {
      created,
      communicationUserId,
      token: token.token,
      expiresOn: token.expiresOn,
      scopes: invitation.scopes,
      ...(invitation.context !== undefined ? { context: invitation.context } : {}),
    };
  }

  /** The invitation a code names, or 404 (a malformed code, an unknown id and a wrong secret look alike). */
  private async byCode(code: string): Promise<Invitation> {
    const match = /^([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/.exec(code);
    if (!match) throw notFoundProblem();
    const invitation = await this.store.get(match[1] ?? '');
    if (!invitation) throw notFoundProblem();
    const given = Buffer.from(sha256(match[2] ?? ''));
    const kept = Buffer.from(invitation.secretHash);
    if (given.length !== kept.length || !timingSafeEqual(given, kept)) throw notFoundProblem();
    return invitation;
  }

  private async visible(viewer: Principal, id: string): Promise<Invitation> {
    const invitation = /^[A-Za-z0-9_-]{16}$/.test(id) ? await this.store.get(id) : undefined;
    if (!invitation) throw notFoundProblem();
    const own = invitation.inviter.issuer === viewer.issuer && invitation.inviter.userId === viewer.userId;
    const admin = invitation.inviter.issuer === viewer.issuer && viewer.roles.includes(this.options.adminRole);
    if (!own && !admin) throw notFoundProblem();
    return invitation;
  }

  private async audit(
    invitation: Invitation,
    action: 'invitation_created' | 'invitation_redeemed' | 'invitation_revoked' | 'invitation_expired',
    cause: AuditCause,
    communicationUserId: string,
  ): Promise<void> {
    await this.mappings.appendAudit(invitation.inviter, {
      action,
      cause,
      communicationUserId,
      invitationId: invitation.id,
    });
  }
}

/** A token lives at most until the invitation ends, but no less than ACS's minimum of 60 minutes. */
function expiresInMinutesFor(invitation: Invitation): number {
  const left = Math.ceil((invitation.expiresOn.getTime() - Date.now()) / 60_000);
  return Math.min(1440, Math.max(60, left));
}

/** The inviter acting on their own invitation is the caller; anyone else who may (an admin) is named. */
const causeOf = (viewer: Principal, invitation: Invitation): AuditCause =>
  viewer.userId === invitation.inviter.userId ? { kind: 'caller' } : { kind: 'admin', actor: viewer.userId };

function view(invitation: Invitation, guests: Guest[]): InvitationView {
  return {
    id: invitation.id,
    state: stateOf(invitation),
    redemptions: invitation.redemptions,
    maxRedemptions: invitation.maxRedemptions,
    expiresOn: invitation.expiresOn,
    scopes: invitation.scopes,
    ...(invitation.context !== undefined ? { context: invitation.context } : {}),
    guests: guests
      .filter((guest) => guest.communicationUserId !== undefined)
      .map((guest) => ({ communicationUserId: guest.communicationUserId ?? '', redeemedAt: guest.redeemedAt })),
  };
}
