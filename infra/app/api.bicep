// The function app: a Flex Consumption plan (FC1) and the Node 22 app on it, running as the user-assigned identity.
// Its app settings are the contract with the code: every name below is read by src/config/settings.ts or by the
// Functions host, and test/infra checks that list against the schema.

@description('Name of the function app (becomes <name>.azurewebsites.net).')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region of the plan and the app (a region that offers Flex Consumption).')
param location string

@description('Tags applied to the plan and the app.')
param tags object = {}

@description('azd service name from azure.yaml; azd finds the app to deploy to by this tag.')
param serviceName string = 'api'

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity.')
param identityClientId string

@description('Name of the storage account: host storage, deployment package and the app\'s tables and queues.')
param storageAccountName string

@description('Blob endpoint of the storage account (https://<account>.blob.core.windows.net/).')
param blobEndpoint string

@description('Queue endpoint of the storage account.')
param queueEndpoint string

@description('Table endpoint of the storage account.')
param tableEndpoint string

@description('Blob container holding the deployment package.')
param deploymentContainerName string

@description('Name of the Application Insights component (same resource group).')
param applicationInsightsName string

@description('ACS endpoint, https://<resource>.communication.azure.com.')
param acsEndpoint string

// Table and queue names: main.bicep passes the same values to core/storage.bicep, which creates them.
@description('Table of app user -> ACS identity mappings (the audit trail lives in the same table).')
param mappingTableName string

@description('Table of processed webhook event ids (deduplication).')
param eventsTableName string

@description('Queue of identity-provider events; its poison queue is <name>-poison.')
param eventsQueueName string

@description('Queue of revoke-all job steps; its poison queue is <name>-poison.')
param jobsQueueName string

@description('Trusted token issuers, comma-separated (AUTH_ISSUERS).')
param authIssuers string

@description('Accepted token audiences, comma-separated (AUTH_AUDIENCES).')
param authAudiences string

@description('Delegated scope every caller token must carry in scp, e.g. access_as_user; empty = not checked.')
param authRequiredScope string = ''

@description('App role every caller token must carry in roles; empty = not checked.')
param authRequiredRole string = ''

@description('App role that grants the admin endpoints.')
param adminRole string = 'Identity.Admin'

@description('Claim holding the caller\'s roles (Okta/Auth0 often use groups or a namespaced claim).')
param adminRoleClaim string = 'roles'

@description('ACS token scopes callers may ask for, comma-separated; empty = all five.')
param tokenAllowedScopes string = ''

@description('ACS token scopes used when a caller asks for none, comma-separated; empty = chat,voip.')
param tokenDefaultScopes string = ''

@description('Vault URI (https://<vault>.vault.azure.net/) holding the webhook secrets.')
param keyVaultUri string

@description('Secret name in the vault of each webhook secret (main.bicep).')
param keyVaultSecretNames {
  graphClientState: string
  oktaWebhookSecret: string
  standardWebhookSecrets: string
  eventGridWebhookSecret: string
}

@description('The webhook settings whose secret exists in the vault; only these are set, each as a Key Vault reference.')
param keyVaultSettingNames string[] = []

@description('Issuer of your Okta users\' tokens; required when the Okta webhook secret is set.')
param oktaIssuer string = ''

@description('Issuer assumed for Standard Webhooks events that carry none.')
param standardWebhookIssuer string = ''

@description('Entra app id whose Teams user tokens may be exchanged; empty = Teams exchange off.')
param teamsAppId string = ''

@description('ACS_RESOURCES: the secondary ACS resources (name, endpoint and routing rules; no secrets); empty = only ACS_ENDPOINT.')
param acsResources array = []

@description('Browser origins allowed to call the API (CORS).')
param corsAllowedOrigins array = []

// One entry of functionAppConfig.scaleAndConcurrency.alwaysReady. Flex scales every function but the HTTP, blob and
// durable groups in instances of its own, named 'function:<name>' (flex-consumption-plan#per-function-scaling). The
// names allowed here are the app's queue-triggered functions (app.storageQueue in src/functions; test/infra checks).
@export()
type alwaysReadyInstance = {
  @description('The queue-triggered function to keep an instance running for.')
  name: 'function:processIdentityEvent' | 'function:processRevocationStep'

  @description('Instances kept running for it, billed around the clock whether or not they execute.')
  @minValue(1)
  instanceCount: int
}

@description('Always-ready instances for the queue-triggered functions; empty = none, the app scales to zero.')
param alwaysReady alwaysReadyInstance[] = []

@description('Memory per instance in MB (Flex Consumption sizes).')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Upper bound on instances, which caps both cost and the request rate the app can push to ACS; Flex Consumption accepts 1 to 1000.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

// The webhook secrets as Key Vault references: the platform resolves them with keyVaultReferenceIdentity (the app's
// identity, Key Vault Secrets User on the vault) and hands the app the value, so no secret is in the site's
// configuration. No version in the URI: a new secret version is picked up within a day, or at once on restart.
var keyVaultSettings = [
  { name: 'GRAPH_CLIENT_STATE', value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${keyVaultSecretNames.graphClientState}/)' }
  { name: 'OKTA_WEBHOOK_SECRET', value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${keyVaultSecretNames.oktaWebhookSecret}/)' }
  { name: 'STANDARD_WEBHOOK_SECRETS', value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${keyVaultSecretNames.standardWebhookSecrets}/)' }
  { name: 'EVENTGRID_WEBHOOK_SECRET', value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${keyVaultSecretNames.eventGridWebhookSecret}/)' }
]

// Host storage (keys, timers, leases, diagnostic events) through the identity. In Azure's public cloud by account
// name: Microsoft's recommendation there, and it avoids the host's intermittent start-up failure with
// __blobServiceUri on Flex (Azure/azure-functions-host#11787). In other clouds (AzureUSGovernment, AzureChinaCloud)
// by the service URIs, which carry that cloud's storage suffix.
var hostStorageSettings = environment().name == 'AzureCloud' ? hostStorageByAccountName : hostStorageByServiceUris
var hostStorageByAccountName = [
  { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
]
var hostStorageByServiceUris = [
  { name: 'AzureWebJobsStorage__blobServiceUri', value: blobEndpoint }
  { name: 'AzureWebJobsStorage__queueServiceUri', value: queueEndpoint }
  { name: 'AzureWebJobsStorage__tableServiceUri', value: tableEndpoint }
]

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  // Flex Consumption: scale to zero, per-app instance memory, identity-based deployment storage.
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // Linux plan: Flex Consumption runs on Linux only.
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd deploys the 'api' service to the resource carrying this tag.
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    // HTTP requests are redirected to HTTPS; the URLs main.bicep outputs are all https.
    httpsOnly: true
    // Key Vault references in the app settings are resolved as the user-assigned identity (the default would be a
    // system-assigned identity, which this app does not have).
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          // Flex runs the package from this container, read with the identity (no connection string).
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReady
      }
      // Node 22 LTS (Node 20 reached end of life in April 2026); on Flex the runtime lives here, not in
      // FUNCTIONS_WORKER_RUNTIME or linuxFxVersion.
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    // Flex Consumption refuses much of what siteConfig offers on other plans (ftpsState, linuxFxVersion, alwaysOn,
    // ...: ARM error 51021); test/infra/flex-rules.ts lists them with their sources. There is no FTP on Flex at all.
    siteConfig: {
      minTlsVersion: '1.2'
      cors: {
        // Browser apps that call the API directly; the API authenticates with bearer tokens, not cookies,
        // so credentials (cookies) are never needed cross-origin.
        allowedOrigins: corsAllowedOrigins
        supportCredentials: false
      }
      // Not set on Flex Consumption, which deprecates or ignores them (FUNCTIONS_WORKER_RUNTIME,
      // FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE, WEBSITE_CONTENT*, ...: test/infra/flex-rules.ts).
      appSettings: concat(hostStorageSettings, [
        // The host storage connection above, as the user-assigned identity, in every cloud.
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }

        // Telemetry: the connection string only addresses the component (not a secret: local auth is off on it);
        // the authentication string makes the SDK sign telemetry with the identity's Entra token.
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsights.properties.ConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }

        // Which identity DefaultAzureCredential/ManagedIdentityCredential use for ACS (and Storage by default).
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        // ACS with Entra ID: an endpoint, never ACS_CONNECTION_STRING.
        { name: 'ACS_ENDPOINT', value: acsEndpoint }

        // 'IdentityStorage' is one connection for two readers: the app's Table/Queue clients and the queue
        // trigger (connection: 'IdentityStorage'). The __credential/__clientId pair is what the trigger needs to
        // use the user-assigned identity; never the connection-string form 'IdentityStorage'.
        { name: 'IdentityStorage__tableServiceUri', value: tableEndpoint }
        { name: 'IdentityStorage__queueServiceUri', value: queueEndpoint }
        { name: 'IdentityStorage__credential', value: 'managedidentity' }
        { name: 'IdentityStorage__clientId', value: identityClientId }

        // The names core/storage.bicep creates. EVENTS_QUEUE_NAME must be an app setting (not just the code's
        // default): the trigger's queue name '%EVENTS_QUEUE_NAME%' is resolved by the host from app settings.
        { name: 'MAPPING_TABLE_NAME', value: mappingTableName }
        { name: 'EVENTS_TABLE_NAME', value: eventsTableName }
        { name: 'EVENTS_QUEUE_NAME', value: eventsQueueName }
        { name: 'JOBS_QUEUE_NAME', value: jobsQueueName }

        // Who may call the API: tokens from these issuers for these audiences, optionally with a scope/role.
        { name: 'AUTH_ISSUERS', value: authIssuers }
        { name: 'AUTH_AUDIENCES', value: authAudiences }
        { name: 'AUTH_REQUIRED_SCOPE', value: authRequiredScope }
        { name: 'AUTH_REQUIRED_ROLE', value: authRequiredRole }
        { name: 'ADMIN_ROLE', value: adminRole }
        { name: 'ADMIN_ROLE_CLAIM', value: adminRoleClaim }

        // Which ACS scopes a token may carry, and the ones used when the caller names none.
        { name: 'TOKEN_ALLOWED_SCOPES', value: tokenAllowedScopes }
        { name: 'TOKEN_DEFAULT_SCOPES', value: tokenDefaultScopes }

        // Identity-provider webhooks: each one is on only when its secret is set (the secrets themselves are the
        // Key Vault references appended below).
        { name: 'OKTA_ISSUER', value: oktaIssuer }
        { name: 'STANDARD_WEBHOOK_ISSUER', value: standardWebhookIssuer }

        // Teams users' token exchange (POST /api/tokens/teams); empty = off.
        { name: 'TEAMS_APP_ID', value: teamsAppId }

        // More ACS resources (data residency, capacity): endpoints and routing rules; same managed identity.
        { name: 'ACS_RESOURCES', value: empty(acsResources) ? '' : string(acsResources) }
      ], filter(keyVaultSettings, setting => contains(keyVaultSettingNames, setting.name)))
    }
  }
}

output name string = functionApp.name

@description('Base URL of the app, without a trailing slash.')
output url string = 'https://${functionApp.properties.defaultHostName}'
