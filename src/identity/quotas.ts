import { describeError, quotaExceeded } from '../domain/errors';
import type { Limit } from '../domain/model';
import type { Logger, QuotaStore } from '../domain/ports';

export type { Limit } from '../domain/model';

export interface QuotaLimits {
  tokensPerUser?: Limit;
  identitiesPerUser?: Limit;
  identitiesPerClientIp?: Limit;
}

/**
 * Per-caller quotas, counted across every instance: tokens per user, identity creations per user and per client
 * IP. A used-up quota throws `quota_exceeded` (429 with Retry-After and RateLimit headers). A quota store that
 * cannot be reached lets the request through (logged): the quotas protect ACS from abuse, they must not turn a
 * storage hiccup into an outage of the hot path.
 */
export class Quotas {
  constructor(
    private readonly store: QuotaStore,
    private readonly limits: QuotaLimits,
  ) {}

  async token(user: { issuer: string; userId: string }, log: Logger): Promise<void> {
    await this.take('tokens', `t\u0000${user.issuer}\u0000${user.userId}`, this.limits.tokensPerUser, log);
  }

  async identity(user: { issuer: string; userId: string; clientIp?: string }, log: Logger): Promise<void> {
    await this.take('identities', `i\u0000${user.issuer}\u0000${user.userId}`, this.limits.identitiesPerUser, log);
    if (user.clientIp)
      await this.take('identities-per-ip', `ip\u0000${user.clientIp}`, this.limits.identitiesPerClientIp, log);
  }

  private async take(policy: string, key: string, limit: Limit | undefined, log: Logger): Promise<void> {
    if (!limit) return;
    let decision;
    try {
      decision = await this.store.consume(key, limit.count, limit.windowInSeconds * 1000);
    } catch (error) {
      log.warn(`The ${policy} quota could not be counted (${describeError(error)}); the request goes through.`);
      return;
    }
    if (!decision.allowed) throw quotaExceeded(policy, limit.count, limit.windowInSeconds, decision.resetInSeconds);
  }
}
