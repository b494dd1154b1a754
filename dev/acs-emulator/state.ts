import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { FaultQueue } from './faults';
import { type Operation, operations } from './operations';

/** One revocation: tokens whose sequence is at most `throughSequence` stop verifying once it has propagated. */
interface Revocation {
  throughSequence: number;
  atMs: number;
}

/** An identity the emulator created. Deleted identities are kept so a token can say why it stopped working. */
export interface IdentityRecord {
  id: string;
  createdAtMs: number;
  revocations: Revocation[];
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
  expiresAtMs: number;
}

export type TokenStatus = 'valid' | 'revoked' | 'identity_deleted' | 'unknown_identity';

export type Stats = Record<Operation, number> & { identities: number };

export interface StateOptions {
  /** How long a revocation or deletion takes before the tokens it covers fail verification. Default 0 (at once). */
  revocationDelayInMs?: number;
  /** JSON file the identities, tokens, revocations and signing key are kept in across restarts; omitted = memory only. */
  dataFile?: string;
}

/** What the data file holds (version 1). Call counts and faults are not kept: they describe one run. */
interface Snapshot {
  version: 1;
  signingKey: string;
  sequence: number;
  identities: IdentityRecord[];
  tokens: Array<[string, TokenRecord]>;
}

const zeroCalls = (): Record<Operation, number> =>
  Object.fromEntries(operations.map((operation) => [operation, 0])) as Record<Operation, number>;

/** Everything the emulator remembers: in memory, and in `dataFile` after every change when one is given. */
export class EmulatorState {
  readonly faults = new FaultQueue();
  /** Key of the HS256 token signatures: kept with the data, so tokens from before a restart still verify. */
  readonly signingKey: Buffer;
  readonly #revocationDelayInMs: number;
  readonly #dataFile: string | undefined;
  #identities = new Map<string, IdentityRecord>();
  #tokens = new Map<string, TokenRecord>();
  #calls = zeroCalls();
  #sequence = 0;

  constructor(options: StateOptions = {}) {
    this.#revocationDelayInMs = options.revocationDelayInMs ?? 0;
    this.#dataFile = options.dataFile;
    const snapshot = this.#dataFile === undefined ? undefined : readSnapshot(this.#dataFile);
    this.signingKey = snapshot ? Buffer.from(snapshot.signingKey, 'base64') : randomBytes(32);
    if (snapshot) {
      const nowMs = Date.now();
      this.#sequence = snapshot.sequence;
      this.#identities = new Map(snapshot.identities.map((identity) => [identity.id, identity]));
      // Expired tokens fail verification on their own: no need to remember them.
      this.#tokens = new Map(snapshot.tokens.filter(([, token]) => token.expiresAtMs > nowMs));
    }
    this.#save();
  }

  addIdentity(id: string, nowMs: number, customId?: string): IdentityRecord {
    const identity: IdentityRecord = {
      id,
      createdAtMs: nowMs,
      revocations: [],
      ...(customId === undefined ? {} : { customId }),
    };
    this.#identities.set(id, identity);
    this.#save();
    return identity;
  }

  /** The identity if it exists and was not deleted. */
  findLiveIdentity(id: string): IdentityRecord | undefined {
    const identity = this.#identities.get(id);
    return identity?.deletedAtMs === undefined ? identity : undefined;
  }

  /** The live identity created with this customId, if any. */
  findByCustomId(customId: string): IdentityRecord | undefined {
    for (const identity of this.#identities.values())
      if (identity.customId === customId && identity.deletedAtMs === undefined) return identity;
    return undefined;
  }

  recordToken(tokenId: string, communicationUserId: string, kind: TokenRecord['kind'], expiresAtMs: number): void {
    this.#sequence += 1;
    this.#tokens.set(tokenId, { communicationUserId, sequence: this.#sequence, kind, expiresAtMs });
    this.#save();
  }

  /** Revokes every token issued to the identity so far (effective after the propagation delay); later ones stay valid. */
  revokeTokens(identity: IdentityRecord, nowMs: number): void {
    this.#revoke(identity, nowMs);
    this.#save();
  }

  deleteIdentity(identity: IdentityRecord, nowMs: number): void {
    this.#revoke(identity, nowMs);
    identity.deletedAtMs = nowMs;
    this.#save();
  }

  /** Whether a token the emulator signed still stands, as far as identities and (propagated) revocations go. */
  tokenStatus(tokenId: string, communicationUserId: string, nowMs: number): TokenStatus {
    const token = this.#tokens.get(tokenId);
    if (token === undefined || token.communicationUserId !== communicationUserId) return 'unknown_identity';
    if (token.kind === 'teams') return 'valid';
    const identity = this.#identities.get(communicationUserId);
    if (identity === undefined) return 'unknown_identity';
    if (identity.deletedAtMs !== undefined && this.#propagated(identity.deletedAtMs, nowMs)) return 'identity_deleted';
    const revoked = identity.revocations.some(
      (revocation) => token.sequence <= revocation.throughSequence && this.#propagated(revocation.atMs, nowMs),
    );
    return revoked ? 'revoked' : 'valid';
  }

  countCall(operation: Operation): void {
    this.#calls[operation] += 1;
  }

  stats(): Stats {
    return { ...this.#calls, identities: this.liveIdentityIds().length };
  }

  liveIdentityIds(): string[] {
    return [...this.#identities.values()]
      .filter((identity) => identity.deletedAtMs === undefined)
      .map((identity) => identity.id);
  }

  /** Forgets identities, tokens, call counts and queued faults (in the data file too). */
  reset(): void {
    this.#identities = new Map();
    this.#tokens = new Map();
    this.#calls = zeroCalls();
    this.#sequence = 0;
    this.faults.clear();
    this.#save();
  }

  #propagated(atMs: number, nowMs: number): boolean {
    return nowMs >= atMs + this.#revocationDelayInMs;
  }

  /** Adds a revocation; of those already in effect only the widest is kept. */
  #revoke(identity: IdentityRecord, nowMs: number): void {
    const pending = identity.revocations.filter((revocation) => !this.#propagated(revocation.atMs, nowMs));
    const effective = identity.revocations
      .filter((revocation) => this.#propagated(revocation.atMs, nowMs))
      .reduce<Revocation | undefined>(
        (widest, revocation) =>
          widest === undefined || revocation.throughSequence > widest.throughSequence ? revocation : widest,
        undefined,
      );
    identity.revocations = [
      ...(effective ? [effective] : []),
      ...pending,
      { throughSequence: this.#sequence, atMs: nowMs },
    ];
  }

  /** Writes the data file (to a temporary name, then renamed, so a crash never leaves half a file). */
  #save(): void {
    if (this.#dataFile === undefined) return;
    const snapshot: Snapshot = {
      version: 1,
      signingKey: this.signingKey.toString('base64'),
      sequence: this.#sequence,
      identities: [...this.#identities.values()],
      tokens: [...this.#tokens.entries()],
    };
    mkdirSync(dirname(this.#dataFile), { recursive: true });
    const temporary = `${this.#dataFile}.tmp`;
    writeFileSync(temporary, JSON.stringify(snapshot));
    renameSync(temporary, this.#dataFile);
  }
}

/** The data file's content; undefined when there is none yet. A file that is not a snapshot is an error naming it. */
function readSnapshot(file: string): Snapshot | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const snapshot = JSON.parse(text) as Partial<Snapshot>;
  if (
    snapshot.version !== 1 ||
    typeof snapshot.signingKey !== 'string' ||
    !Array.isArray(snapshot.identities) ||
    !Array.isArray(snapshot.tokens)
  ) {
    throw new Error(`${file} is not ACS emulator data (delete it, or run npm run reset, to start afresh)`);
  }
  return snapshot as Snapshot;
}
