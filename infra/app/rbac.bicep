// Who may do what, on exactly one resource each. No keys exist (shared-key storage access and local auth are off),
// so these role assignments are the only way in, for the app and for a developer debugging against Azure.

@description('Principal (object) id of the app\'s user-assigned identity.')
param appPrincipalId string

@description('Name of the storage account.')
param storageAccountName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Name of the Communication Services resource.')
param communicationServiceName string

@description('Name of the Key Vault holding the webhook secrets.')
param keyVaultName string

@description('Role the app holds on the ACS resource. Contributor is what Microsoft documents for managed identities calling the identity API; Communication and Email Service Owner is narrower but not confirmed by Microsoft for identity and token operations.')
@allowed([
  'Contributor'
  'Communication and Email Service Owner'
])
param acsRoleName string = 'Contributor'

@description('Object id of a developer (or pipeline) to grant data access for local debugging; empty = none.')
param developerPrincipalId string = ''

@description('Kind of principal developerPrincipalId is.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param developerPrincipalType string = 'User'

// Built-in role definition ids (the same in every tenant).
var roleIds = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c'
  communicationAndEmailServiceOwner: '09976791-48a7-449e-bb21-39d1a415f350'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

var acsRoleId = acsRoleName == 'Contributor' ? roleIds.contributor : roleIds.communicationAndEmailServiceOwner

// The app: blob (host storage and the Flex deployment package; Owner because the host manages blob leases and
// containers), queue (the event queue, its trigger and the poison queue) and table (mapping with its audit trail, processed events).
var appStorageRoleIds = [
  roleIds.storageBlobDataOwner
  roleIds.storageQueueDataContributor
  roleIds.storageTableDataContributor
]

// A developer running the app locally against Azure reads and writes the app's tables and queue; the host's own
// storage stays local (Azurite), so no blob role.
var developerStorageRoleIds = [
  roleIds.storageQueueDataContributor
  roleIds.storageTableDataContributor
]

var grantDeveloper = !empty(developerPrincipalId)

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource communication 'Microsoft.Communication/communicationServices@2025-05-01' existing = {
  name: communicationServiceName
}

resource keyVault 'Microsoft.KeyVault/vaults@2025-05-01' existing = {
  name: keyVaultName
}

resource appStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in appStorageRoleIds: {
  // Deterministic names make re-deployments idempotent instead of failing with RoleAssignmentExists.
  name: guid(storage.id, appPrincipalId, roleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: appPrincipalId
    // Set explicitly so the assignment does not fail while a new identity is still replicating in Entra ID.
    principalType: 'ServicePrincipal'
  }
}]

// Entra-authenticated telemetry (DisableLocalAuth on the component) requires this role on the component.
resource appMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, roleIds.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Create/delete identities, issue/revoke tokens, exchange Teams tokens: scoped to this ACS resource only.
resource appAcsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communication.id, appPrincipalId, acsRoleId)
  scope: communication
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acsRoleId)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Read the webhook secrets (the app settings' Key Vault references); no other data-plane right on the vault.
resource appKeyVaultSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, appPrincipalId, roleIds.keyVaultSecretsUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource developerStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in developerStorageRoleIds: if (grantDeveloper) {
  name: guid(storage.id, developerPrincipalId, roleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: developerPrincipalId
    principalType: developerPrincipalType
  }
}]

resource developerAcsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantDeveloper) {
  name: guid(communication.id, developerPrincipalId, acsRoleId)
  scope: communication
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acsRoleId)
    principalId: developerPrincipalId
    principalType: developerPrincipalType
  }
}
