// Everything the ACS identity & token service needs in Azure, created in one resource group:
// identity -> storage, monitoring, ACS -> role assignments -> function app.
// Deploy with `azd up`, or `az deployment sub create` (docs/deploy.md). No key or connection string is created,
// passed or output anywhere (the Application Insights connection string is an address, not a credential): every
// call between these resources uses the user-assigned managed identity. The webhook secrets go into Key Vault and
// reach the app as Key Vault references, never as values in its configuration.
targetScope = 'subscription'

import { alwaysReadyInstance } from './app/api.bicep'

// ---------- Environment ----------

@minLength(1)
@maxLength(64)
@description('Name of the environment (azd env name): prefixes the resource group and seeds unique resource names.')
param environmentName string

@minLength(1)
@description('Region for every resource except ACS (global): one that offers Flex Consumption.')
// The regions `az functionapp list-flexconsumption-locations` lists, as Microsoft's Flex templates allow them
// (Azure-Samples/functions-quickstart-typescript-azd, 2026-02-24); test/infra/flex-rules.ts holds the same list.
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'eastus2euap'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group to create or reuse; empty = rg-<environmentName>.')
param resourceGroupName string = ''

// ---------- Caller authentication (AUTH_* settings) ----------

@minLength(1)
@description('Trusted token issuers, comma-separated, e.g. https://login.microsoftonline.com/<tenant-id>/v2.0.')
param authIssuers string

@minLength(1)
@description('Accepted token audiences, comma-separated, e.g. <app-id>,api://<app-id> (Entra ID) or your Okta/Auth0 API audience.')
param authAudiences string

@description('Delegated scope every caller token must carry in scp, e.g. access_as_user; empty = not checked.')
param authRequiredScope string = ''

@description('App role every caller token must carry in roles; empty = not checked.')
param authRequiredRole string = ''

@description('App role that grants the admin endpoints.')
param adminRole string = 'Identity.Admin'

@description('Claim that carries the caller\'s roles: roles (Entra ID), or e.g. groups / a namespaced claim for Okta or Auth0.')
param adminRoleClaim string = 'roles'

@description('ACS token scopes callers may ask for, comma-separated (chat, chat.join, chat.join.limited, voip, voip.join); empty = all.')
param tokenAllowedScopes string = ''

@description('ACS token scopes used when a caller names none, comma-separated; empty = chat,voip.')
param tokenDefaultScopes string = ''

// ---------- Identity-provider webhooks (each is off while its secret is empty) ----------
// The secrets are stored in Key Vault (core/keyvault.bicep); the app settings only reference them.

@secure()
@description('Microsoft Graph subscription clientState (max 128 characters).')
param graphClientState string = ''

@secure()
@description('Okta Event Hook secret: the Authorization header value Okta sends.')
param oktaWebhookSecret string = ''

@description('Issuer of your Okta users\' tokens, e.g. https://<org>.okta.com/oauth2/default; required with oktaWebhookSecret.')
param oktaIssuer string = ''

@secure()
@description('Standard Webhooks signing secrets (whsec_<base64>), space- or comma-separated; set two while rotating.')
param standardWebhookSecrets string = ''

@description('Issuer assumed for Standard Webhooks events that carry none (Auth0, Clerk, ...).')
param standardWebhookIssuer string = ''

@secure()
@description('Shared secret Event Grid deliveries must present.')
param eventGridWebhookSecret string = ''

@description('Entra app id whose Teams user tokens may be exchanged for ACS tokens; empty = off.')
param teamsAppId string = ''

// ---------- Azure Communication Services ----------

@description('Where ACS stores data at rest, e.g. \'United States\', \'Europe\', \'UK\'. Fixed at creation.')
param dataLocation string = 'United States'

@description('Disable ACS access keys and connection strings (Entra ID only).')
param acsDisableLocalAuth bool = true

@description('Role the app\'s identity gets on the ACS resource (see app/rbac.bicep).')
@allowed([
  'Contributor'
  'Communication and Email Service Owner'
])
param acsRoleName string = 'Contributor'

@description('More ACS resources, e.g. one per data location: [{ name: \'eu\', dataLocation: \'Europe\', rules: { claim: { name: \'ctry\', values: [ \'DE\', \'FR\' ] } } }]. rules: issuers, claim and/or spread (see README, several ACS resources).')
param additionalAcsResources array = []

// ---------- Function app ----------

@description('Browser origins allowed to call the API, e.g. [\'https://app.contoso.com\']; empty = no cross-origin browser calls.')
param corsAllowedOrigins array = []

@description('Memory per instance in MB: the Flex Consumption instance sizes.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Maximum number of instances: Flex Consumption accepts 1 to 1000 (flex-consumption-plan#considerations).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

// Off by default: an always-ready instance is billed around the clock (docs/deploy.md, "Always-ready instances").
@description('Always-ready instances for the queue-triggered functions, e.g. [{ name: \'function:processIdentityEvent\', instanceCount: 1 }]: webhook events are then applied within seconds even after the app has been idle, instead of waiting up to about 2 minutes for an instance. Empty = none.')
param alwaysReady alwaysReadyInstance[] = []

@description('Days a deleted Key Vault (or secret) stays recoverable, 7-90. Purge protection is on: the vault name stays taken this long after `azd down`.')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteRetentionInDays int = 90

// ---------- Alerts ----------

@description('E-mail address for the poison-message and ACS-throttling alerts; empty = the alerts show in the portal only.')
param alertEmail string = ''

@description('ACS 429 answers in 15 minutes that raise the throttling alert.')
@minValue(1)
param acsThrottledAlertThreshold int = 10

// ---------- Developer access ----------

@description('Object id of the deploying user (azd sets AZURE_PRINCIPAL_ID); empty = no developer role assignments.')
param principalId string = ''

@description('Kind of principal principalId is (ServicePrincipal for a CI identity).')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@description('Grant principalId the app\'s table/queue data roles and the ACS role, to run the app locally against Azure.')
param grantDeveloperAccess bool = !empty(principalId)

// ---------- Names ----------

// Unique per subscription, environment and region, stable across re-deployments.
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

var names = {
  resourceGroup: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  identity: 'id-api-${resourceToken}'
  storage: 'st${resourceToken}'
  logAnalytics: 'log-${resourceToken}'
  applicationInsights: 'appi-${resourceToken}'
  communication: 'acs-${resourceToken}'
  plan: 'plan-${resourceToken}'
  functionApp: 'func-api-${resourceToken}'
  keyVault: 'kv-${resourceToken}'
  deploymentContainer: 'app-package'
}

// The app's defaults (src/config/settings.ts), set explicitly so the storage module and the app agree on them.
var mappingTableName = 'IdentityMappings'
var eventsTableName = 'ProcessedEvents'
var eventsQueueName = 'identity-events'
var jobsQueueName = 'identity-jobs'

// Key Vault secret names, and the app setting each one backs. A setting is set (as a Key Vault reference) only when
// its secret was given: an empty parameter creates no secret and no setting, and its webhook stays off.
var keyVaultSecretNames = {
  graphClientState: 'graph-client-state'
  oktaWebhookSecret: 'okta-webhook-secret'
  standardWebhookSecrets: 'standard-webhook-secrets'
  eventGridWebhookSecret: 'eventgrid-webhook-secret'
}
var keyVaultSettingNames = filter([
  empty(graphClientState) ? '' : 'GRAPH_CLIENT_STATE'
  empty(oktaWebhookSecret) ? '' : 'OKTA_WEBHOOK_SECRET'
  empty(standardWebhookSecrets) ? '' : 'STANDARD_WEBHOOK_SECRETS'
  empty(eventGridWebhookSecret) ? '' : 'EVENTGRID_WEBHOOK_SECRET'
], setting => !empty(setting))

// Routes under host.json's routePrefix 'api', as registered by src/functions; used only for the URLs below.
var routes = {
  health: 'health'
  openApi: 'openapi.json'
  graphWebhook: 'webhooks/graph'
  oktaWebhook: 'webhooks/okta'
  standardWebhook: 'webhooks/events'
  eventGridWebhook: 'webhooks/eventgrid'
}

// ---------- Resources ----------

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

module identity './core/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module storage './core/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    deploymentContainerName: names.deploymentContainer
    tableNames: [
      mappingTableName
      eventsTableName
    ]
    queueNames: [
      eventsQueueName
      '${eventsQueueName}-poison'
      jobsQueueName
      '${jobsQueueName}-poison'
    ]
  }
}

module monitoring './core/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: tags
  }
}

module communication './core/communication.bicep' = {
  name: 'communication'
  scope: rg
  params: {
    name: names.communication
    dataLocation: dataLocation
    disableLocalAuth: acsDisableLocalAuth
    tags: tags
  }
}

module additionalCommunication './core/communication.bicep' = [for resource in additionalAcsResources: {
  name: 'communication-${resource.name}'
  scope: rg
  params: {
    name: '${names.communication}-${resource.name}'
    dataLocation: resource.dataLocation
    disableLocalAuth: acsDisableLocalAuth
    tags: tags
  }
}]

// The app's identity gets the same ACS role on every additional resource.
module additionalCommunicationRoles './app/acs-role.bicep' = [for (resource, index) in additionalAcsResources: {
  name: 'communication-role-${resource.name}'
  scope: rg
  params: {
    communicationServiceName: additionalCommunication[index].outputs.name
    principalId: identity.outputs.principalId
    acsRoleName: acsRoleName
  }
}]

module keyVault './core/keyvault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: names.keyVault
    location: location
    tags: tags
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
    secretNames: keyVaultSecretNames
    graphClientState: graphClientState
    oktaWebhookSecret: oktaWebhookSecret
    standardWebhookSecrets: standardWebhookSecrets
    eventGridWebhookSecret: eventGridWebhookSecret
  }
}

module alerts './core/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    namePrefix: 'api-${resourceToken}'
    alertEmail: alertEmail
    throttledThreshold: acsThrottledAlertThreshold
  }
}

module rbac './app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    communicationServiceName: communication.outputs.name
    keyVaultName: keyVault.outputs.name
    acsRoleName: acsRoleName
    developerPrincipalId: grantDeveloperAccess ? principalId : ''
    developerPrincipalType: principalType
  }
}

module api './app/api.bicep' = {
  name: 'api'
  scope: rg
  // The host starts as soon as the site exists: let it find its storage, ACS and Key Vault roles already in place.
  dependsOn: [
    rbac
    additionalCommunicationRoles
  ]
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: names.deploymentContainer
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    acsEndpoint: communication.outputs.endpoint
    acsResources: [for (resource, index) in additionalAcsResources: union({ name: resource.name, endpoint: additionalCommunication[index].outputs.endpoint }, resource.rules)]
    mappingTableName: mappingTableName
    eventsTableName: eventsTableName
    eventsQueueName: eventsQueueName
    jobsQueueName: jobsQueueName
    authIssuers: authIssuers
    authAudiences: authAudiences
    authRequiredScope: authRequiredScope
    authRequiredRole: authRequiredRole
    adminRole: adminRole
    adminRoleClaim: adminRoleClaim
    tokenAllowedScopes: tokenAllowedScopes
    tokenDefaultScopes: tokenDefaultScopes
    keyVaultUri: keyVault.outputs.uri
    keyVaultSecretNames: keyVaultSecretNames
    keyVaultSettingNames: keyVaultSettingNames
    oktaIssuer: oktaIssuer
    standardWebhookIssuer: standardWebhookIssuer
    teamsAppId: teamsAppId
    corsAllowedOrigins: corsAllowedOrigins
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReady: alwaysReady
  }
}

// ---------- Outputs (azd stores them in .azure/<env>/.env) ----------

// What azd itself reads.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name

// The app and its URLs.
output SERVICE_API_NAME string = api.outputs.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output FUNCTION_APP_URL string = api.outputs.url
output API_BASE_URL string = '${api.outputs.url}/api'
output HEALTH_URL string = '${api.outputs.url}/api/${routes.health}'
output OPENAPI_URL string = '${api.outputs.url}/api/${routes.openApi}'
output GRAPH_WEBHOOK_URL string = '${api.outputs.url}/api/${routes.graphWebhook}'
output OKTA_WEBHOOK_URL string = '${api.outputs.url}/api/${routes.oktaWebhook}'
output STANDARD_WEBHOOK_URL string = '${api.outputs.url}/api/${routes.standardWebhook}'
output EVENTGRID_WEBHOOK_URL string = '${api.outputs.url}/api/${routes.eventGridWebhook}'

// What an operator (or a developer debugging locally against Azure) points tools at. The identity's client id is
// deliberately not named AZURE_CLIENT_ID: azd writes outputs to .azure/<env>/.env, and a local AZURE_CLIENT_ID
// would make the app's credential look for a managed identity that does not exist on a laptop.
output ACS_ENDPOINT string = communication.outputs.endpoint
output ACS_RESOURCE_NAME string = communication.outputs.name
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output STORAGE_QUEUE_ENDPOINT string = storage.outputs.queueEndpoint
output STORAGE_TABLE_ENDPOINT string = storage.outputs.tableEndpoint
output EVENTS_QUEUE_NAME string = eventsQueueName
output EVENTS_POISON_QUEUE_NAME string = '${eventsQueueName}-poison'
output API_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output API_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output KEY_VAULT_NAME string = keyVault.outputs.name
output POISON_ALERT_NAME string = alerts.outputs.poisonAlertName
output ACS_THROTTLED_ALERT_NAME string = alerts.outputs.throttledAlertName
