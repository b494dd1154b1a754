import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from './services';
import type { WebhookConfig } from '../config/config';
import { badRequest, notFound, ServiceError } from '../domain/errors';
import { readBody } from '../http/body';
import { handle, json } from './handler';
import { recordWebhookEvents } from '../telemetry';
import type { WebhookOutcome, WebhookRequest } from '../webhooks/types';

export const maxWebhookBodyInBytes = 1024 * 1024;

type Verify<C> = (request: WebhookRequest, config: C) => WebhookOutcome;
type Verifiers = typeof import('../webhooks');

/** The verifiers load on the first delivery, not at cold start. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const verifiers = (): Verifiers => require('../webhooks') as Verifiers;

/**
 * A webhook verifies and normalises (pure code in src/webhooks), enqueues, and answers 202 within milliseconds;
 * the queue worker does the ACS work. A webhook whose secret is not configured does not exist (404). When the
 * events cannot be enqueued the answer is 503, so the provider delivers again.
 */
function webhook<K extends keyof WebhookConfig>(
  source: K,
  verifier: (all: Verifiers) => Verify<NonNullable<WebhookConfig[K]>>,
) {
  return handle(
    async (request: HttpRequest, context: InvocationContext, services: Services): Promise<HttpResponseInit> => {
      const config = services.config.webhooks[source];
      if (!config) throw notFound('webhook_disabled', `The ${source} webhook is not configured.`);
      const rawBody = (await readBody(request, maxWebhookBodyInBytes)).toString('utf8');
      const outcome = verifier(verifiers())(
        { method: request.method, headers: request.headers, query: request.query, rawBody, receivedAt: new Date() },
        config,
      );
      if (outcome.kind === 'accepted') {
        recordWebhookEvents(source, 'accepted', outcome.events.length);
        recordWebhookEvents(source, 'ignored', outcome.ignored);
        recordWebhookEvents(source, 'rejected', outcome.rejected);
      } else {
        recordWebhookEvents(source, outcome.kind);
      }
      switch (outcome.kind) {
        case 'handshake':
          context.info(`${source} webhook: answered a validation handshake`);
          return { status: outcome.status, headers: outcome.headers, body: outcome.body };
        case 'unauthorized':
          context.warn(`${source} webhook: refused (${outcome.reason})`);
          throw new ServiceError(
            'unauthenticated',
            'webhook_unauthorized',
            'The webhook signature or secret is missing or wrong.',
          );
        case 'invalid':
          context.warn(`${source} webhook: invalid delivery (${outcome.reason})`);
          throw badRequest('invalid_webhook_payload', outcome.reason);
        case 'accepted': {
          for (const note of outcome.notes) {
            if (note.startsWith('warning:')) context.warn(`${source} webhook: ${note}`);
            else context.info(`${source} webhook: ${note}`);
          }
          if (outcome.events.length > 0) {
            await services.ready();
            await services.eventQueue.enqueue(outcome.events);
          }
          context.info(
            `${source} webhook: enqueued ${outcome.events.length} event(s) [${outcome.events.map((event) => event.eventId).join(', ')}]`,
          );
          // Okta's event-hook contract asks for 200 or 204 with an empty body; the others get the counts.
          if (source === 'okta') return { status: 204 };
          return json(202, { accepted: outcome.events.length, ignored: outcome.ignored, rejected: outcome.rejected });
        }
      }
    },
  );
}

export const graphWebhook = webhook('graph', (all) => all.handleGraphWebhook);
export const oktaWebhook = webhook('okta', (all) => all.handleOktaWebhook);
export const standardWebhook = webhook('standard', (all) => all.handleStandardWebhook);
export const eventGridWebhook = webhook('eventGrid', (all) => all.handleEventGridWebhook);
