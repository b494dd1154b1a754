import type { TableClient, TransactionAction } from '@azure/data-tables';

import type { DueCleanup, Guest, Invitation, InvitationStore, NewInvitation } from '../domain/invitations';
import type { AppUser, TokenScope } from '../domain/model';
import { isStorageStatus, storageCall } from './errors';
import { cleanupPartitionKey, cleanupRowKey as dueRowKey, invitationPartitionKey, inviterPartitionKey } from './keys';

type InvitationEntity = {
  partitionKey: string;
  rowKey: string;
  issuer: string;
  userId: string;
  secretHash: string;
  scopes: string;
  expiresOn: Date;
  maxRedemptions: number;
  redemptions: number;
  context?: string;
  resource: string;
  createdAt: Date;
  revokedAt?: Date;
  cleanedAt?: Date;
};

type GuestEntity = {
  partitionKey: string;
  rowKey: string;
  keyHash: string;
  communicationUserId?: string;
  leaseUntil?: Date;
  redeemedAt: Date;
  deletedAt?: Date;
};

const invitationRowKey = 'invitation';
const guestRowPrefix = 'guest-';

/**
 * Invitations live in the mapping table under partitions of their own (`g-<id>`, `gi-<inviter>`, `guest-cleanup`),
 * apart from the app users' partitions (`u-...`): a guest can never be read as an app user's mapping.
 */
export class InvitationRepository implements InvitationStore {
  constructor(
    private readonly table: TableClient,
    private readonly timeoutInMs: number,
  ) {}

  async create(invitation: NewInvitation): Promise<Invitation> {
    const entity: InvitationEntity = {
      partitionKey: invitationPartitionKey(invitation.id),
      rowKey: invitationRowKey,
      issuer: invitation.inviter.issuer,
      userId: invitation.inviter.userId,
      secretHash: invitation.secretHash,
      scopes: invitation.scopes.join(','),
      expiresOn: invitation.expiresOn,
      maxRedemptions: invitation.maxRedemptions,
      redemptions: 0,
      ...(invitation.context !== undefined ? { context: invitation.context } : {}),
      resource: invitation.resource,
      createdAt: invitation.createdAt,
    };
    // The index rows first: an invitation that exists is always found by its inviter and by the clean-up.
    await this.call((abortSignal) =>
      this.table.upsertEntity(
        { partitionKey: inviterPartitionKey(invitation.inviter), rowKey: invitation.id },
        'Replace',
        { abortSignal },
      ),
    );
    await this.scheduleCleanup(invitation.id, invitation.expiresOn);
    const result = await this.call((abortSignal) => this.table.createEntity(entity, { abortSignal }));
    return toInvitation({ ...entity, etag: result.etag ?? '*' });
  }

  async get(id: string): Promise<Invitation | undefined> {
    return this.call(async (abortSignal) => {
      try {
        const entity = await this.table.getEntity<InvitationEntity>(invitationPartitionKey(id), invitationRowKey, {
          abortSignal,
        });
        return toInvitation(entity);
      } catch (error) {
        if (isStorageStatus(error, 404)) return undefined;
        throw error;
      }
    });
  }

  async getGuest(invitationId: string, keyHash: string): Promise<Guest | undefined> {
    return this.call(async (abortSignal) => {
      try {
        const entity = await this.table.getEntity<GuestEntity>(
          invitationPartitionKey(invitationId),
          guestRowPrefix + keyHash,
          { abortSignal },
        );
        return toGuest(entity);
      } catch (error) {
        if (isStorageStatus(error, 404)) return undefined;
        throw error;
      }
    });
  }

  async listGuests(invitationId: string): Promise<Guest[]> {
    const partitionKey = invitationPartitionKey(invitationId);
    const filter = `PartitionKey eq '${partitionKey}' and RowKey ge '${guestRowPrefix}' and RowKey lt 'guest.'`;
    return this.call(async (abortSignal) => {
      const guests: Guest[] = [];
      for await (const entity of this.table.listEntities<GuestEntity>({ queryOptions: { filter }, abortSignal }))
        guests.push(toGuest(entity));
      return guests;
    });
  }

  async reserve(invitation: Invitation, keyHash: string, leaseUntil: Date, now: Date): Promise<boolean> {
    const partitionKey = invitationPartitionKey(invitation.id);
    const guest: GuestEntity = { partitionKey, rowKey: guestRowPrefix + keyHash, keyHash, leaseUntil, redeemedAt: now };
    return this.transact([
      [
        'update',
        { partitionKey, rowKey: invitationRowKey, redemptions: invitation.redemptions + 1 },
        'Merge',
        { etag: invitation.etag },
      ],
      ['create', guest],
    ]);
  }

  async release(invitation: Invitation, guest: Guest): Promise<boolean> {
    const partitionKey = invitationPartitionKey(invitation.id);
    return this.transact([
      [
        'update',
        { partitionKey, rowKey: invitationRowKey, redemptions: Math.max(0, invitation.redemptions - 1) },
        'Merge',
        { etag: invitation.etag },
      ],
      // A transaction's delete carries no condition; the invitation's ETag guards the pair.
      ['delete', { partitionKey, rowKey: guestRowPrefix + guest.keyHash }],
    ]);
  }

  async takeOver(invitationId: string, guest: Guest, leaseUntil: Date): Promise<Guest | undefined> {
    const entity = { partitionKey: invitationPartitionKey(invitationId), rowKey: guestRowPrefix + guest.keyHash };
    return this.call(async (abortSignal) => {
      try {
        const result = await this.table.updateEntity({ ...entity, leaseUntil }, 'Merge', {
          etag: guest.etag,
          abortSignal,
        });
        return { ...guest, leaseUntil, etag: result.etag ?? '*' };
      } catch (error) {
        if (isStorageStatus(error, 404, 412)) return undefined;
        throw error;
      }
    });
  }

  async recordIdentity(invitationId: string, guest: Guest, communicationUserId: string): Promise<boolean> {
    const entity = {
      partitionKey: invitationPartitionKey(invitationId),
      rowKey: guestRowPrefix + guest.keyHash,
      communicationUserId,
    };
    return this.call(async (abortSignal) => {
      try {
        await this.table.updateEntity(entity, 'Merge', { etag: guest.etag, abortSignal });
        return true;
      } catch (error) {
        if (isStorageStatus(error, 404, 412)) return false;
        throw error;
      }
    });
  }

  async markGuestDeleted(invitationId: string, guest: Guest, now: Date): Promise<void> {
    const entity = { partitionKey: invitationPartitionKey(invitationId), rowKey: guestRowPrefix + guest.keyHash };
    await this.call((abortSignal) =>
      this.table.updateEntity({ ...entity, deletedAt: now }, 'Merge', { etag: '*', abortSignal }),
    );
  }

  async revoke(invitation: Invitation, now: Date): Promise<Invitation | undefined> {
    const entity = { partitionKey: invitationPartitionKey(invitation.id), rowKey: invitationRowKey, revokedAt: now };
    const etag = await this.call(async (abortSignal) => {
      try {
        return (await this.table.updateEntity(entity, 'Merge', { etag: invitation.etag, abortSignal })).etag ?? '*';
      } catch (error) {
        if (isStorageStatus(error, 404, 412)) return undefined;
        throw error;
      }
    });
    if (etag === undefined) return undefined;
    await this.scheduleCleanup(invitation.id, now);
    return { ...invitation, revokedAt: now, etag };
  }

  async markCleaned(invitation: Invitation, now: Date): Promise<void> {
    const entity = { partitionKey: invitationPartitionKey(invitation.id), rowKey: invitationRowKey, cleanedAt: now };
    await this.call((abortSignal) => this.table.updateEntity(entity, 'Merge', { etag: '*', abortSignal }));
  }

  async listByInviter(inviter: AppUser): Promise<string[]> {
    const filter = `PartitionKey eq '${inviterPartitionKey(inviter)}'`;
    return this.call(async (abortSignal) => {
      const ids: string[] = [];
      for await (const entity of this.table.listEntities({ queryOptions: { filter, select: ['RowKey'] }, abortSignal }))
        ids.push(String(entity.rowKey));
      return ids;
    });
  }

  async listDueForCleanup(before: Date, limit = 200): Promise<DueCleanup[]> {
    const filter = `PartitionKey eq '${cleanupPartitionKey}' and RowKey lt '${dueRowKey(before, '')}'`;
    return this.call(async (abortSignal) => {
      const due: DueCleanup[] = [];
      for await (const entity of this.table.listEntities({ queryOptions: { filter }, abortSignal })) {
        const key = String(entity.rowKey);
        due.push({ invitationId: key.slice(17), dueAt: new Date(Number(key.slice(0, 16))), key });
        if (due.length >= limit) break;
      }
      return due;
    });
  }

  async forgetDue(due: DueCleanup): Promise<void> {
    await this.call(async (abortSignal) => {
      try {
        await this.table.deleteEntity(cleanupPartitionKey, due.key, { abortSignal });
      } catch (error) {
        if (!isStorageStatus(error, 404)) throw error;
      }
    });
  }

  private async scheduleCleanup(id: string, at: Date): Promise<void> {
    await this.call((abortSignal) =>
      this.table.upsertEntity({ partitionKey: cleanupPartitionKey, rowKey: dueRowKey(at, id) }, 'Replace', {
        abortSignal,
      }),
    );
  }

  /** A transaction whose failed condition (409 exists, 412 changed, 404 gone) answers false. */
  private async transact(actions: TransactionAction[]): Promise<boolean> {
    return this.call(async (abortSignal) => {
      try {
        await this.table.submitTransaction(actions, { abortSignal });
        return true;
      } catch (error) {
        if (isStorageStatus(error, 404, 409, 412)) return false;
        throw error;
      }
    });
  }

  private call<T>(run: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    return storageCall(this.timeoutInMs, run);
  }
}

function toInvitation(entity: InvitationEntity & { etag: string }): Invitation {
  return {
    id: entity.partitionKey.slice(2),
    inviter: { issuer: entity.issuer, userId: entity.userId },
    secretHash: entity.secretHash,
    scopes: entity.scopes.split(',').filter(Boolean) as TokenScope[],
    expiresOn: new Date(entity.expiresOn),
    maxRedemptions: Number(entity.maxRedemptions),
    redemptions: Number(entity.redemptions),
    ...(entity.context !== undefined ? { context: entity.context } : {}),
    resource: entity.resource,
    createdAt: new Date(entity.createdAt),
    ...(entity.revokedAt ? { revokedAt: new Date(entity.revokedAt) } : {}),
    ...(entity.cleanedAt ? { cleanedAt: new Date(entity.cleanedAt) } : {}),
    etag: entity.etag,
  };
}

function toGuest(entity: GuestEntity & { etag: string }): Guest {
  return {
    keyHash: entity.keyHash,
    ...(entity.communicationUserId ? { communicationUserId: entity.communicationUserId } : {}),
    ...(entity.leaseUntil ? { leaseUntil: new Date(entity.leaseUntil) } : {}),
    redeemedAt: new Date(entity.redeemedAt),
    ...(entity.deletedAt ? { deletedAt: new Date(entity.deletedAt) } : {}),
    etag: entity.etag,
  };
}
