import { handle, json } from './handler';

/**
 * Proves that the app's own identity may use ACS: creates a throwaway identity and deletes it again, with the same
 * client (and, in Azure, the same managed identity) as every request. ACS refusing the credentials answers 502
 * `acs_rejected`, like any other route.
 */
export const diagnoseAcs = handle(async (_request, context, { acs }) => {
  const started = Date.now();
  const communicationUserId = await acs.createUser();
  try {
    await acs.deleteUser(communicationUserId);
  } catch (error) {
    // An ACS user id is not a secret; logged so that an operator can delete the leftover.
    context.warn(`diagnostics: could not delete the throwaway ACS identity ${communicationUserId}`);
    throw error;
  }
  return json(200, { status: 'ok', durationInMs: Date.now() - started });
});
