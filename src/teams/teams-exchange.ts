import { decodeJwt } from 'jose';

import { AcsBadRequestError, AcsUnauthorizedError, badRequest, forbidden } from '../domain/errors';
import type { Principal } from '../domain/model';
import type { IdentityGateway } from '../domain/ports';

export interface TeamsToken {
  communicationUserId: string;
  token: string;
  expiresOn: Date;
}

/**
 * Exchanges a Teams user's Entra ID token for an ACS token (`getTokenForTeamsUser`), for the caller only: the
 * Teams token must belong to the same Entra user (`oid`) as the caller's own token. ACS verifies the Teams token
 * itself (signature, audience, app); here it is only decoded to compare users.
 */
export async function exchangeTeamsUserToken(
  acs: IdentityGateway,
  appId: string,
  caller: Principal,
  teamsUserAadToken: string,
): Promise<TeamsToken> {
  if (!caller.objectId)
    throw forbidden(
      'teams_requires_entra_caller',
      'Only callers signed in with Entra ID (an oid claim) can exchange Teams tokens.',
    );
  let teamsObjectId: unknown;
  try {
    teamsObjectId = decodeJwt(teamsUserAadToken)['oid'];
  } catch {
    throw badRequest('invalid_teams_token', 'teamsUserAadToken is not a JWT.');
  }
  if (teamsObjectId !== caller.objectId)
    throw forbidden('teams_user_mismatch', 'The Teams token belongs to another user than the caller.');
  try {
    const token = await acs.exchangeTeamsToken(teamsUserAadToken, appId, caller.objectId);
    return { communicationUserId: `8:orgid:${caller.objectId}`, ...token };
  } catch (error) {
    // For an exchange, ACS refusing the request means the Teams token is expired, for another app, or otherwise invalid.
    if (error instanceof AcsBadRequestError || error instanceof AcsUnauthorizedError) {
      throw badRequest(
        'teams_token_rejected',
        'ACS refused the Teams user token (expired, issued for another app, or invalid).',
      );
    }
    throw error;
  }
}
