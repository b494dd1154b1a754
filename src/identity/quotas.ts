import { describeError, quotaExceeded } from '../domain/errors';
import type { Limit } from '../domain/model';
import type { Logger, QuotaStore } from '../domain/ports';

export type { Limit } from '../domain/model';

export interface QuotaLimits {
  tokensPerUser?: Limit;
  identitiesPerUser?: Limit;
  identitiesPerClientIp?: Limit;
  invitationsPerUser?: Limit;
  guestRedemptionsPerClientIp?: Limit;
}

/** Units taken for one request; given back when the request ends without what they paid for. */
export interface QuotaReceipt {
  refund(log: Logger): Promise<void>;
}

export const nothingTaken: QuotaReceipt = { refund: () => Promise.resolve() };

/**
 * Per-caller quotas, counted across every instance: tokens per user, identity creations per user and per client
 * IP. A used-up quota throws `quota_exceeded` (429 with Retry-After and RateLimit headers). A quota store that
 * cannot be reached lets the request through (logged): the quotas protect ACS from abuse, they must not turn a
 * storage hiccup into an outage of the hot path. They count what happened: a request that fails after taking a
 * unit gives it back (the receipt), so a retrying client or a lost race costs nothing.
 */
export class Quotas {
  constructor(
    private readonly store: QuotaStore,
    private readonly limits: QuotaLimits,
  ) {}

  async token(user: { issuer: string; userId: string }, log: Logger): Promise<QuotaReceipt> {
    return this.take('tokens', `t\u0000${user.issuer}\u0000${user.userId}`, this.limits.tokensPerUser, log);
  }

  async identity(user: { issuer: string; userId: string; clientIp?: string }, log: Logger): Promise<QuotaReceipt> {
    const perUser = await this.take(
      'identities',
      `i\u0000${user.issuer}\u0000${user.userId}`,
      this.limits.identitiesPerUser,
      log,
    );
    if (!user.clientIp) return perUser;
    let perIp: QuotaReceipt;
    try {
      perIp = await this.take('identities-per-ip', `ip\u0000${user.clientIp}`, this.limits.identitiesPerClientIp, log);
    } catch (error) {
      await perUser.refund(log);
      throw error;
    }
    return {
      refund: async (refundLog) => void (await Promise.all([perUser.refund(refundLog), perIp.refund(refundLog)])),
    };
  }

  async invitation(user: { issuer: string; userId: string }, log: Logger): Promise<QuotaReceipt> {
    return this.take('invitations', `inv\u0000${user.issuer}\u0000${user.userId}`, this.limits.invitationsPerUser, log);
  }

  async guestRedemption(clientIp: string | undefined, log: Logger): Promise<QuotaReceipt> {
    if (!clientIp) return nothingTaken;
    return this.take('guest-redemptions', `gr\u0000${clientIp}`, this.limits.guestRedemptionsPerClientIp, log);
  }

  private async take(policy: string, key: string, limit: Limit | undefined, log: Logger): Promise<QuotaReceipt> {
    if (!limit) return nothingTaken;
    const windowInMs = limit.windowInSeconds * 1000;
    const takenAt = Date.now();
    let decision;
    try {
      decision = await this.store.consume(key, limit.count, windowInMs, takenAt);
    } catch (error) {
      log.warn(`The ${policy} quota could not be counted (${describeError(error)}); the request goes through.`);
      return nothingTaken;
    }
    if (!decision.allowed) throw quotaExceeded(policy, limit.count, limit.windowInSeconds, decision.resetInSeconds);
    return {
      refund: async (refundLog) => {
        await this.store.refund(key, windowInMs, takenAt).catch((error: unknown) => {
          refundLog.warn(`The ${policy} quota unit could not be given back (${describeError(error)}).`);
        });
      },
    };
  }
}
