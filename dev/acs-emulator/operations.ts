/** The SDK calls the emulator tells apart, named after `CommunicationIdentityClient` methods (Teams: the exchange). */
export const operations = [
  'createUser',
  'createUserAndToken',
  'getToken',
  'revokeTokens',
  'deleteUser',
  'exchangeTeamsToken',
] as const;
export type Operation = (typeof operations)[number];
