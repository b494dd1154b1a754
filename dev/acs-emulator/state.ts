import { FaultQueue } from './faults';
import { type Operation, operations } from './operations';

/** An identity the emulator created. Deleted identities are kept so a token can say why it stopped working. */
export interface IdentityRecord {
  id: string;
  createdAtMs: number;
  /** Tokens whose sequence number is at most this were revoked (0 = none). */
  revokedThroughSequence: number;
  revokedAtMs?: number;
  deletedAtMs?: number;
  /** Set by a create with `customId` (api-version 2025-03-02-preview): a repeated create returns this identity. */
  customId?: string;
}

interface TokenRecord {
  communicationUserId: string;
  /** Issue order across the emulator: strictly increasing, so revoke-then-issue within one millisecond stays exact. */
  sequence: number;
  /** Teams (`8:orgid:`) tokens belong to no ACS identity and cannot be revoked. */
  kind: 'acs' | 'teams';
}

export type TokenStatus = 'valid' | 'revoked' | 'identity_deleted' | 'unknown_identity';

export type Stats = Record<Operation, number> & { identities: number };

const zeroCalls = (): Record<Operation, number> =>
  Object.fromEntries(operations.map((operation) => [operation, 0])) as Record<Operation, number>;

/** Everything the emulator remembers, in memory. */
export class EmulatorState {
  readonly faults = new FaultQueue();
  #identities = new Map<string, IdentityRecord>();
  #tokens = new Map<string, TokenRecord>();
  #calls = zeroCalls();
  #sequence = 0;

  addIdentity(id: string, nowMs: number, customId?: string): IdentityRecord {
    const identity: IdentityRecord = { id, createdAtMs: nowMs, revokedThroughSequence: 0, ...(customId === undefined ? {} : { customId }) };
    this.#identities.set(id, identity);
    return identity;
  }

  /** The identity if it exists and was not deleted. */
  findLiveIdentity(id: string): IdentityRecord | undefined {
    const identity = this.#identities.get(id);
    return identity?.deletedAtMs === undefined ? identity : undefined;
  }

  /** The live identity created with this customId, if any. */
  findByCustomId(customId: string): IdentityRecord | undefined {
    for (const identity of this.#identities.values()) if (identity.customId === customId && identity.deletedAtMs === undefined) return identity;
    return undefined;
  }

  recordToken(tokenId: string, communicationUserId: string, kind: TokenRecord['kind']): void {
    this.#sequence += 1;
    this.#tokens.set(tokenId, { communicationUserId, sequence: this.#sequence, kind });
  }

  /** Revokes every token issued to the identity so far; later ones stay valid. */
  revokeTokens(identity: IdentityRecord, nowMs: number): void {
    identity.revokedThroughSequence = this.#sequence;
    identity.revokedAtMs = nowMs;
  }

  deleteIdentity(identity: IdentityRecord, nowMs: number): void {
    this.revokeTokens(identity, nowMs);
    identity.deletedAtMs = nowMs;
  }

  /** Whether a token the emulator signed still stands, as far as identities and revocations go. */
  tokenStatus(tokenId: string, communicationUserId: string): TokenStatus {
    const token = this.#tokens.get(tokenId);
    if (token === undefined || token.communicationUserId !== communicationUserId) return 'unknown_identity';
    if (token.kind === 'teams') return 'valid';
    const identity = this.#identities.get(communicationUserId);
    if (identity === undefined) return 'unknown_identity';
    if (identity.deletedAtMs !== undefined) return 'identity_deleted';
    return token.sequence <= identity.revokedThroughSequence ? 'revoked' : 'valid';
  }

  countCall(operation: Operation): void {
    this.#calls[operation] += 1;
  }

  stats(): Stats {
    return { ...this.#calls, identities: this.liveIdentityIds().length };
  }

  liveIdentityIds(): string[] {
    return [...this.#identities.values()].filter((identity) => identity.deletedAtMs === undefined).map((identity) => identity.id);
  }

  /** Forgets identities, tokens, call counts and queued faults. */
  reset(): void {
    this.#identities = new Map();
    this.#tokens = new Map();
    this.#calls = zeroCalls();
    this.#sequence = 0;
    this.faults.clear();
  }
}
