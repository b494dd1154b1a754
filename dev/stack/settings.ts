type Values = Record<string, string>;
type Environment = Record<string, string | undefined>;

/** Where a setting's value came from, in Core Tools' order: the environment wins over local.settings.json. */
export type SettingSource = 'environment' | 'local.settings.json' | 'local.settings.sample.json';

/** One part of the stack: emulated (the stack's own), or real (what the user configured). Never carries a secret. */
export interface PartInUse {
  emulated: boolean;
  /** For a real part: the endpoint, account or issuers (no keys), and where that was configured. */
  target?: string;
  source?: SettingSource;
}

export interface PartsInUse {
  acs: PartInUse;
  storage: PartInUse;
  issuer: PartInUse;
}

export interface StackWiring {
  /** App settings the host must apply over the environment and the settings file. */
  overrides: Values;
  parts: PartsInUse;
}

export interface WiringInput {
  /** local.settings.sample.json `Values`: the local defaults. */
  sample: Values;
  /** local.settings.json `Values`; undefined when the file does not exist (the sample stands in for it). */
  file: Values | undefined;
  environment: Environment;
  /** Endpoints of the parts the stack started. */
  started: { acsConnectionString: string; storageConnectionString: string; issuerUrl: string };
  /** Tests: the sample's values are the settings, whatever the environment and local.settings.json say. */
  isolated: boolean;
}

/**
 * Decides the settings the stack adds for the app. A setting the user has not set, or left at the sample's local
 * default, is wired to the part the stack started (the sample's fixed ports may differ from the started ones);
 * a setting pointing anywhere else is the user's and is left alone. Precedence is Core Tools': environment, then
 * local.settings.json (or, without it, the sample).
 */
export function wireStackSettings(input: WiringInput): StackWiring {
  const { sample, started } = input;
  const lookup = (name: string): { value: string | undefined; source: SettingSource } => {
    if (!input.isolated) {
      const fromEnvironment = input.environment[name];
      if (fromEnvironment !== undefined) return { value: fromEnvironment, source: 'environment' };
      if (input.file !== undefined) return { value: input.file[name], source: 'local.settings.json' };
    }
    return { value: sample[name], source: 'local.settings.sample.json' };
  };
  const isLocalDefault = (name: string) => {
    const { value } = lookup(name);
    return value === undefined || value.trim() === '' || value === sample[name];
  };
  const isEmpty = (name: string) => (lookup(name).value ?? '').trim() === '';

  const overrides: Values = input.isolated ? { ...sample } : {};

  // ACS: a connection string of the user's, or an ACS_ENDPOINT (managed identity), means a real resource.
  let acs: PartInUse;
  if (!isLocalDefault('ACS_CONNECTION_STRING')) {
    const { value, source } = lookup('ACS_CONNECTION_STRING');
    acs = { emulated: false, target: connectionStringEndpoint(value ?? ''), source };
  } else if (!isEmpty('ACS_ENDPOINT')) {
    const { value, source } = lookup('ACS_ENDPOINT');
    acs = { emulated: false, target: value ?? '', source };
    // The sample's emulator connection string would win over the endpoint: the endpoint is what the user meant.
    overrides['ACS_CONNECTION_STRING'] = '';
  } else {
    acs = { emulated: true };
    overrides['ACS_CONNECTION_STRING'] = started.acsConnectionString;
  }

  let storage: PartInUse;
  if (isLocalDefault('IdentityStorage') && isEmpty('IdentityStorage__tableServiceUri')) {
    storage = { emulated: true };
    overrides['IdentityStorage'] = started.storageConnectionString;
  } else if (!isLocalDefault('IdentityStorage')) {
    const { value, source } = lookup('IdentityStorage');
    storage = { emulated: false, target: storageAccount(value ?? ''), source };
  } else {
    const { value, source } = lookup('IdentityStorage__tableServiceUri');
    storage = { emulated: false, target: value ?? '', source };
  }
  const jobStorage = lookup('AzureWebJobsStorage').value;
  if (isLocalDefault('AzureWebJobsStorage') || jobStorage === 'UseDevelopmentStorage=true') {
    overrides['AzureWebJobsStorage'] = started.storageConnectionString;
  }

  let issuer: PartInUse;
  if (isLocalDefault('AUTH_ISSUERS')) {
    issuer = { emulated: true };
    overrides['AUTH_ISSUERS'] = started.issuerUrl;
  } else {
    const { value, source } = lookup('AUTH_ISSUERS');
    issuer = { emulated: false, target: value ?? '', source };
  }
  // Webhook issuers left at the sample's development issuer follow it to its actual URL.
  for (const name of ['OKTA_ISSUER', 'STANDARD_WEBHOOK_ISSUER']) {
    if (sample[name] !== undefined && sample[name] !== '' && lookup(name).value === sample[name])
      overrides[name] = started.issuerUrl;
  }

  return { overrides, parts: { acs, storage, issuer } };
}

/** `endpoint=<url>;accesskey=<key>` -> the endpoint only. */
function connectionStringEndpoint(connectionString: string): string {
  return (
    /(?:^|;)\s*endpoint=([^;]+)/i.exec(connectionString)?.[1]?.trim() ?? '(a connection string without an endpoint)'
  );
}

/** A storage connection string -> its account name (or table endpoint), never the key. */
function storageAccount(connectionString: string): string {
  const field = (name: string) => new RegExp(`(?:^|;)\\s*${name}=([^;]+)`, 'i').exec(connectionString)?.[1]?.trim();
  const account = field('AccountName');
  const table = field('TableEndpoint');
  return (
    [account ? `account ${account}` : undefined, table].filter((part) => part !== undefined).join(', ') ||
    '(a connection string)'
  );
}

/** One banner line per part: what is emulated and what is real, never a key. */
export function describeParts(
  parts: PartsInUse,
  started: { acsUrl: string; storageUrl: string; issuerUrl: string },
): string[] {
  const line = (label: string, part: PartInUse, emulated: string) =>
    `  ${label.padEnd(20)}${part.emulated ? `emulated: ${emulated}` : `REAL: ${part.target} (from ${part.source})`}`;
  return [
    line('ACS identity', parts.acs, `ACS emulator ${started.acsUrl}`),
    line('Identity storage', parts.storage, `Azurite ${started.storageUrl}`),
    line('Sign-in issuer', parts.issuer, `development issuer ${started.issuerUrl}`),
  ];
}
