import type { AddressInfo } from 'node:net';

import { EmulatorServer } from './server';
import { guidPattern } from './validation';
import { urlHost } from '../shared/url-host';

export { API_VERSIONS, SUPPORTED_API_VERSIONS } from './api-versions';
export type { ApiVersion } from './api-versions';
export { operations } from './operations';
export type { Operation } from './operations';
export type { FaultInput as AcsEmulatorFault } from './faults';
export type { Stats as AcsEmulatorStats } from './state';
export type { VerifyResult as AcsEmulatorVerifyResult } from './service';
export { supportedScopes } from './validation';

/**
 * The emulator's fixed development access key (base64). Public on purpose: it is in
 * local.settings.sample.json (`endpoint=http://127.0.0.1:7080/;accesskey=...`) and guards nothing real.
 */
export const DEV_ACS_ACCESS_KEY =
  'opMCZDOAS7GYsFEZZU0iQUSc9U9356Tq62MojtJEOTqFpgGI7V/YGSp01Kj9zmQtQACr/3KO/nv5IvFbU3Wpfg==';

/** The resource GUID in every identity the emulator creates (`8:acs:<resourceId>_<uuid>`) unless another is given. */
export const DEV_ACS_RESOURCE_ID = '00000000-0000-4000-8000-00000000ac5e';

/** The emulator's default port, the one in local.settings.sample.json. */
export const DEFAULT_ACS_EMULATOR_PORT = 7080;

export interface AcsEmulatorOptions {
  /** Port to listen on; 0 = any free port. Default 7080. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Access key (base64) requests must be signed with. Default {@link DEV_ACS_ACCESS_KEY}. */
  accessKey?: string;
  /** Resource GUID used in identity ids. Default {@link DEV_ACS_RESOURCE_ID}. */
  resourceId?: string;
  /** When given, Teams exchange also verifies the Entra token's signature against this JWKS. */
  teamsJwksUrl?: string;
  /** Receives one line per request (method, path, status, operation, reason): never keys, tokens or bodies. */
  log?: (line: string) => void;
  /**
   * Milliseconds between a revocation (or deletion) and its tokens failing `/_emulator/verify`. Default 0: at once.
   * The live service documents that revocation can take up to 15 minutes to propagate.
   */
  revocationDelayInMs?: number;
  /** JSON file that keeps identities, tokens, revocations and the token-signing key across restarts. Default: memory only. */
  dataFile?: string;
}

export interface AcsEmulator {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:7080/`. */
  url: string;
  port: number;
  /** `endpoint=<url>;accesskey=<key>`, ready for `new CommunicationIdentityClient(connectionString, { allowInsecureConnection: true })`. */
  connectionString: string;
  stop(): Promise<void>;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Throws naming the first malformed option (never echoing the access key). */
function validateOptions(options: AcsEmulatorOptions): void {
  const { port, accessKey, resourceId, teamsJwksUrl } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new Error('startAcsEmulator: port must be an integer in 0..65535');
  }
  if (accessKey !== undefined && (accessKey === '' || !BASE64.test(accessKey))) {
    throw new Error('startAcsEmulator: accessKey must be a non-empty base64 string');
  }
  if (resourceId !== undefined && !guidPattern.test(resourceId))
    throw new Error('startAcsEmulator: resourceId must be a GUID');
  const { revocationDelayInMs } = options;
  if (revocationDelayInMs !== undefined && (!Number.isInteger(revocationDelayInMs) || revocationDelayInMs < 0)) {
    throw new Error('startAcsEmulator: revocationDelayInMs must be a non-negative integer');
  }
  if (teamsJwksUrl !== undefined && !/^https?:\/\//i.test(teamsJwksUrl)) {
    throw new Error('startAcsEmulator: teamsJwksUrl must be an http(s) URL');
  }
}

/**
 * Starts an emulator of the ACS identity REST API (in memory, or kept in `dataFile`), as `@azure/communication-identity` 1.3.1 calls it,
 * with an HTTP control API under `/_emulator/` (verify, stats, faults, reset, identities).
 * @param options - see {@link AcsEmulatorOptions}; every field is optional
 * @returns where it listens, a matching connection string, and `stop()`
 */
export async function startAcsEmulator(options: AcsEmulatorOptions = {}): Promise<AcsEmulator> {
  validateOptions(options);
  const host = options.host ?? '127.0.0.1';
  const accessKey = options.accessKey ?? DEV_ACS_ACCESS_KEY;
  const emulator = new EmulatorServer({
    accessKey,
    resourceId: (options.resourceId ?? DEV_ACS_RESOURCE_ID).toLowerCase(),
    state: {
      ...(options.revocationDelayInMs === undefined ? {} : { revocationDelayInMs: options.revocationDelayInMs }),
      ...(options.dataFile === undefined ? {} : { dataFile: options.dataFile }),
    },
    ...(options.teamsJwksUrl === undefined ? {} : { teamsJwksUrl: options.teamsJwksUrl }),
    log: options.log ?? (() => undefined),
  });
  await new Promise<void>((resolve, reject) => {
    emulator.server.once('error', reject);
    emulator.server.listen(options.port ?? DEFAULT_ACS_EMULATOR_PORT, host, () => {
      emulator.server.off('error', reject);
      resolve();
    });
  });
  const { port } = emulator.server.address() as AddressInfo;
  const url = `http://${urlHost(host)}:${port}/`;
  return {
    url,
    port,
    connectionString: `endpoint=${url};accesskey=${accessKey}`,
    stop: () => emulator.stop(),
  };
}
