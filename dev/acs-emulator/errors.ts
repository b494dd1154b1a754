/**
 * The one error type of the emulator. It carries the HTTP status and the ACS error body
 * (`{"error":{"code","message","target"?}}`) the real service answers with; the server turns it
 * into a response in exactly one place.
 */
export class AcsError extends Error {
  override name = 'AcsError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
    /** Why the request was refused, for the emulator's log only (never sent, never secret). */
    readonly logReason?: string,
  ) {
    super(message);
  }

  /** The body ACS sends with an error status. */
  toBody(): { error: { code: string; message: string; target?: string } } {
    return {
      error: { code: this.code, message: this.message, ...(this.target === undefined ? {} : { target: this.target }) },
    };
  }
}

// Codes and messages below are the live service's, as recorded by the Azure SDK test suites
// (azure-sdk-for-python / -net / -js recordings) unless marked "emulator".

/** 401 for every authentication failure and for an identity that does not exist (or no longer does). */
export const denied = (logReason: string, message = 'Denied by the resource provider.'): AcsError =>
  new AcsError(401, 'Denied', message, undefined, logReason);

/** 400 for a request the service refuses on its content. */
export const validationError = (message: string, target?: string): AcsError =>
  new AcsError(400, 'ValidationError', message, target);

/** 401 the Teams exchange answers for an empty, malformed, expired, foreign or badly signed Entra token. */
export const invalidTeamsToken = (logReason: string): AcsError =>
  new AcsError(401, 'InvalidAccessToken', 'Provided access token is not valid.', undefined, logReason);
