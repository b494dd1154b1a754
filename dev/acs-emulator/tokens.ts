import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** The claims of an emulator token. `sub` is the full communicationUserId, `skypeid` the same without `8:` (as in ACS tokens). */
export interface TokenClaims {
  iss: string;
  sub: string;
  skypeid: string;
  /** Scopes as a list; `acsScope` repeats them comma-separated, as ACS tokens do. */
  scp: string[];
  acsScope: string;
  resourceId: string;
  jti: string;
  /** Seconds since the epoch. */
  iat: number;
  /** Seconds since the epoch. */
  exp: number;
}

export const TOKEN_ISSUER = 'acs-emulator';

const HEADER = { alg: 'HS256', typ: 'JWT', kid: 'acs-emulator' } as const;

const encode = (value: object): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

const decode = (part: string): unknown => {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) throw new Error('not base64url');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
};

const isClaims = (value: unknown): value is TokenClaims => {
  if (typeof value !== 'object' || value === null) return false;
  const claims = value as Record<string, unknown>;
  return (
    typeof claims['sub'] === 'string' &&
    typeof claims['jti'] === 'string' &&
    typeof claims['iat'] === 'number' &&
    typeof claims['exp'] === 'number' &&
    Array.isArray(claims['scp']) &&
    claims['scp'].every((scope) => typeof scope === 'string')
  );
};

export type DecodedToken = { ok: true; claims: TokenClaims } | { ok: false; reason: 'malformed' | 'bad_signature' };

/**
 * Signs and checks emulator access tokens: compact JWS, HS256, keyed with a secret that is new for every emulator
 * instance (tokens of a previous run fail with `bad_signature`) unless the state's persisted key is given.
 */
export class TokenSigner {
  readonly #secret: Buffer;

  constructor(secret: Buffer = randomBytes(32)) {
    this.#secret = secret;
  }

  /** A fresh unique token id. */
  static newTokenId(): string {
    return randomUUID();
  }

  sign(claims: TokenClaims): string {
    const signingInput = `${encode(HEADER)}.${encode(claims)}`;
    return `${signingInput}.${this.#mac(signingInput)}`;
  }

  /** Checks structure and signature only; expiry and revocation are the caller's business. */
  decode(token: string): DecodedToken {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'malformed' };
    const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
    let header: unknown;
    let payload: unknown;
    try {
      header = decode(headerPart);
      payload = decode(payloadPart);
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (typeof header !== 'object' || header === null || (header as Record<string, unknown>)['alg'] !== HEADER.alg) {
      return { ok: false, reason: 'bad_signature' };
    }
    const expected = Buffer.from(this.#mac(`${headerPart}.${payloadPart}`), 'utf8');
    const provided = Buffer.from(signaturePart, 'utf8');
    if (expected.length !== provided.length || !timingSafeEqual(expected, provided))
      return { ok: false, reason: 'bad_signature' };
    if (!isClaims(payload)) return { ok: false, reason: 'malformed' };
    return { ok: true, claims: payload };
  }

  #mac(signingInput: string): string {
    return createHmac('sha256', this.#secret).update(signingInput, 'utf8').digest('base64url');
  }
}
