import type { Operation } from './operations';

/** What one api-version of the identity API offers, for the operations the emulator serves. */
export interface ApiVersion {
  /** The operations this version has. */
  operations: readonly Operation[];
  /** The operations whose request body has `expiresInMinutes` in this version. */
  expiresInMinutes: readonly Operation[];
}

const identityOperations = [
  'createUser',
  'createUserAndToken',
  'getToken',
  'revokeTokens',
  'deleteUser',
] as const satisfies readonly Operation[];
const withTeams = [...identityOperations, 'exchangeTeamsToken'] as const satisfies readonly Operation[];
const allExpiries = ['createUserAndToken', 'getToken'] as const satisfies readonly Operation[];
const current: ApiVersion = { operations: withTeams, expiresInMinutes: allExpiries };

/**
 * Every stable api-version in Azure/azure-rest-api-specs
 * `specification/communication/data-plane/Identity/stable/<version>/CommunicationIdentity.json`, oldest first.
 * Teams exchange (`/teamsUser/:exchangeAccessToken`) arrived in 2022-06-01; `expiresInMinutes` on issueAccessToken
 * in 2022-09-01 and on create (createUserAndToken) in 2022-10-01. Later versions add operations the emulator does not
 * serve (GET identity, Teams Phone extension), so for its six operations they are alike.
 */
export const API_VERSIONS: Readonly<Record<string, ApiVersion>> = {
  '2021-03-07': { operations: identityOperations, expiresInMinutes: [] },
  '2022-06-01': { operations: withTeams, expiresInMinutes: [] },
  '2022-09-01': { operations: withTeams, expiresInMinutes: ['getToken'] },
  '2022-10-01': current,
  '2023-08-01': current,
  '2023-10-01': current,
  '2025-06-30': current,
  '2026-07-22': current,
  '2026-09-23': current,
  // The one preview served: creates may carry `customId` (a repeated create returns the same identity), which the
  // service's ACS_IDEMPOTENT_CREATE uses so that the reconciler can find an identity whose create answer was lost.
  '2025-03-02-preview': current,
};

/** api-version values the emulator serves (`@azure/communication-identity` 1.3.1 sends 2023-10-01). */
export const SUPPORTED_API_VERSIONS: readonly string[] = Object.keys(API_VERSIONS);
