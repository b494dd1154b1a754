import type {
  AccessDecision,
  CreationClaim,
  AuditAction,
  AuditCause,
  AuditEntry,
  IdentityMapping,
  MappingState,
} from '../domain/model';
import { auditRowKey } from './keys';

// The rows of a user's partition as Table Storage holds them, and their conversions to the domain model.

export type MappingEntity = {
  partitionKey: string;
  rowKey: string;
  issuer: string;
  userId: string;
  communicationUserId: string;
  resource?: string;
  createdOn: Date;
  /** `deleted`: a tombstone (the row stays so that every later change of it can carry an ETag condition). */
  state: MappingState | 'deleted';
  revokedAt?: Date;
  intentId?: string;
  updatedOn: Date;
};

export type DecisionEntity = {
  partitionKey: string;
  rowKey: string;
  kind: AccessDecision['kind'];
  at: Date;
  source: string;
  eventId: string;
  eventType?: string;
};

export type AuditEntity = {
  partitionKey: string;
  rowKey: string;
  action: AuditAction;
  cause: AuditCause['kind'];
  actor?: string;
  jobId?: string;
  source?: string;
  eventId?: string;
  eventType?: string;
  communicationUserId: string;
  invitationId?: string;
  at: Date;
};

export function auditEntity(
  partitionKey: string,
  action: AuditAction,
  cause: AuditCause,
  communicationUserId: string,
  at: Date,
  invitationId?: string,
): AuditEntity {
  return {
    partitionKey,
    rowKey: auditRowKey(at),
    action,
    cause: cause.kind,
    ...(cause.kind === 'admin' ? { actor: cause.actor, ...(cause.jobId ? { jobId: cause.jobId } : {}) } : {}),
    ...(cause.kind === 'webhook'
      ? { source: cause.source, eventId: cause.eventId, ...(cause.eventType ? { eventType: cause.eventType } : {}) }
      : {}),
    communicationUserId,
    ...(invitationId ? { invitationId } : {}),
    at,
  };
}

/** A tombstone reads as no mapping. */
export function toMapping(entity: MappingEntity & { etag: string }): IdentityMapping | undefined {
  if (entity.state === 'deleted') return undefined;
  return {
    user: { issuer: entity.issuer, userId: entity.userId },
    communicationUserId: entity.communicationUserId,
    ...(entity.resource ? { resource: entity.resource } : {}),
    createdOn: new Date(entity.createdOn),
    state: entity.state,
    ...(entity.revokedAt ? { revokedAt: new Date(entity.revokedAt) } : {}),
    ...(entity.intentId ? { intentId: entity.intentId } : {}),
    etag: entity.etag,
  };
}

export function toDecision(entity: DecisionEntity & { etag: string }): AccessDecision {
  return {
    kind: entity.kind,
    at: new Date(entity.at),
    source: entity.source,
    eventId: entity.eventId,
    ...(entity.eventType ? { eventType: entity.eventType } : {}),
    etag: entity.etag,
  };
}

export function toAuditEntry(entity: AuditEntity): AuditEntry {
  const cause: AuditCause =
    entity.cause === 'admin'
      ? { kind: 'admin', actor: entity.actor ?? '', ...(entity.jobId ? { jobId: entity.jobId } : {}) }
      : entity.cause === 'webhook'
        ? {
            kind: 'webhook',
            source: entity.source ?? '',
            eventId: entity.eventId ?? '',
            ...(entity.eventType ? { eventType: entity.eventType } : {}),
          }
        : entity.cause === 'reconciler' || entity.cause === 'guest' || entity.cause === 'cleanup'
          ? { kind: entity.cause }
          : { kind: 'caller' };
  return {
    action: entity.action,
    cause,
    communicationUserId: entity.communicationUserId,
    ...(entity.invitationId ? { invitationId: entity.invitationId } : {}),
    at: new Date(entity.at),
  };
}

export type ClaimEntity = { partitionKey: string; rowKey: string; leaseUntil: Date };

export function toClaim(entity: ClaimEntity & { etag: string }): CreationClaim {
  return { leaseUntil: new Date(entity.leaseUntil), etag: entity.etag };
}
