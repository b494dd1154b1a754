export { handleEventGridWebhook } from './eventgrid';
export { handleGraphWebhook } from './graph';
export { handleOktaWebhook } from './okta';
export { handleStandardWebhook, TIMESTAMP_TOLERANCE_IN_SECONDS } from './standard';
export type {
  EventGridWebhookConfig,
  GraphWebhookConfig,
  IdentityEvent,
  OktaWebhookConfig,
  StandardWebhookConfig,
  WebhookOutcome,
  WebhookRequest,
  WebhookSource,
} from './types';
