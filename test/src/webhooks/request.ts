import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { WebhookRequest } from '../../../src/webhooks/types';

export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: string;
  receivedAt?: Date;
}

/** A request view as the HTTP functions build it: case-insensitive headers, decoded query values. */
export function webhookRequest({
  method = 'POST',
  headers = {},
  query = {},
  body = '',
  receivedAt = new Date('2026-08-20T10:00:00Z'),
}: RequestInit): WebhookRequest {
  return { method, headers: new Headers(headers), query: new URLSearchParams(query), rawBody: body, receivedAt };
}

/** A fixture's exact bytes, as a raw body. */
export function fixture(path: string): string {
  return readFileSync(join(__dirname, '../../fixtures/webhooks', path), 'utf8');
}

export function fixtureJson<T = unknown>(path: string): T {
  return JSON.parse(fixture(path)) as T;
}
