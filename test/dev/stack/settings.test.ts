import { describeParts, wireStackSettings, type WiringInput } from '../../../dev/stack/settings';

const sample = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  ACS_CONNECTION_STRING: 'endpoint=http://127.0.0.1:7080/;accesskey=ZGV2LWtleQ==',
  ACS_ENDPOINT: '',
  IdentityStorage:
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=ZGV2;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;',
  IdentityStorage__tableServiceUri: '',
  AUTH_ISSUERS: 'http://127.0.0.1:7090',
  OKTA_ISSUER: 'http://127.0.0.1:7090',
  STANDARD_WEBHOOK_ISSUER: 'http://127.0.0.1:7090',
  TOKEN_DEFAULT_SCOPES: 'chat,voip',
};
const started = {
  acsConnectionString: 'endpoint=http://127.0.0.1:50001/;accesskey=ZGV2LWtleQ==',
  storageConnectionString: 'azurite',
  issuerUrl: 'http://127.0.0.1:50002',
};
const wire = (input: Partial<WiringInput>) =>
  wireStackSettings({ sample, file: undefined, environment: {}, started, isolated: false, ...input });

describe('wireStackSettings', () => {
  it('wires every part the user left at the sample defaults, and nothing else', () => {
    const { overrides, parts } = wire({});

    expect(overrides).toEqual({
      ACS_CONNECTION_STRING: started.acsConnectionString,
      IdentityStorage: 'azurite',
      AzureWebJobsStorage: 'azurite',
      AUTH_ISSUERS: started.issuerUrl,
      OKTA_ISSUER: started.issuerUrl,
      STANDARD_WEBHOOK_ISSUER: started.issuerUrl,
    });
    expect(parts).toEqual({ acs: { emulated: true }, storage: { emulated: true }, issuer: { emulated: true } });
  });

  it('leaves a real ACS connection string from local.settings.json alone and names its endpoint only', () => {
    const { overrides, parts } = wire({
      file: {
        ...sample,
        ACS_CONNECTION_STRING: 'endpoint=https://contoso.communication.azure.com/;accesskey=c2VjcmV0',
      },
    });

    expect(overrides).not.toHaveProperty('ACS_CONNECTION_STRING');
    expect(parts.acs).toEqual({
      emulated: false,
      target: 'https://contoso.communication.azure.com/',
      source: 'local.settings.json',
    });
    expect(describeParts(parts, { acsUrl: 'a', storageUrl: 's', issuerUrl: 'i' }).join('\n')).not.toContain('c2VjcmV0');
  });

  it('drops the sample connection string when the environment names an ACS_ENDPOINT (managed identity)', () => {
    const { overrides, parts } = wire({ environment: { ACS_ENDPOINT: 'https://contoso.communication.azure.com/' } });

    expect(overrides['ACS_CONNECTION_STRING']).toBe('');
    expect(parts.acs).toEqual({
      emulated: false,
      target: 'https://contoso.communication.azure.com/',
      source: 'environment',
    });
  });

  it('lets the environment win over local.settings.json for the issuer', () => {
    const { overrides, parts } = wire({
      file: { ...sample, AUTH_ISSUERS: 'https://file.example/' },
      environment: { AUTH_ISSUERS: 'https://env.example/' },
    });

    expect(overrides).not.toHaveProperty('AUTH_ISSUERS');
    expect(parts.issuer).toEqual({ emulated: false, target: 'https://env.example/', source: 'environment' });
  });

  it('treats real table storage (managed identity URIs) as real and keeps the job storage on Azurite', () => {
    const { overrides, parts } = wire({
      environment: { IdentityStorage: '', IdentityStorage__tableServiceUri: 'https://acct.table.core.windows.net' },
    });

    expect(overrides).not.toHaveProperty('IdentityStorage');
    expect(overrides['AzureWebJobsStorage']).toBe('azurite');
    expect(parts.storage).toEqual({
      emulated: false,
      target: 'https://acct.table.core.windows.net',
      source: 'environment',
    });
  });

  it('runs on the sample alone when isolated, ignoring the environment and the file', () => {
    const { overrides, parts } = wire({
      isolated: true,
      environment: { TOKEN_DEFAULT_SCOPES: 'voip', AUTH_ISSUERS: 'https://env.example/' },
      file: { TOKEN_DEFAULT_SCOPES: 'chat' },
    });

    expect(overrides['TOKEN_DEFAULT_SCOPES']).toBe('chat,voip');
    expect(overrides['AUTH_ISSUERS']).toBe(started.issuerUrl);
    expect(parts.issuer.emulated).toBe(true);
  });
});
