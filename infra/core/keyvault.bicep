// The Key Vault that holds the webhook secrets. The app reads them through Key Vault references in its app settings
// (resolved by the platform with the app's user-assigned identity, which holds Key Vault Secrets User on this vault:
// app/rbac.bicep), so no secret value is written into the site's configuration or any output.

@description('Name of the vault: 3-24 letters, digits and hyphens, globally unique.')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the vault.')
param location string

@description('Tags applied to the vault.')
param tags object = {}

@description('Days a deleted vault or secret stays recoverable (7-90). With purge protection nobody can shorten this, and the vault name stays taken for that long after `azd down`.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@description('Name of each secret in the vault, by the parameter it stores (see main.bicep).')
param secretNames {
  graphClientState: string
  oktaWebhookSecret: string
  standardWebhookSecrets: string
  eventGridWebhookSecret: string
}

// Each secret is created only when its value is non-empty; an empty one leaves its webhook off.
@secure()
@description('Microsoft Graph subscription clientState.')
param graphClientState string = ''

@secure()
@description('Okta Event Hook Authorization header value.')
param oktaWebhookSecret string = ''

@secure()
@description('Standard Webhooks signing secrets (whsec_...), space- or comma-separated.')
param standardWebhookSecrets string = ''

@secure()
@description('Shared secret Event Grid deliveries present.')
param eventGridWebhookSecret string = ''

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Azure RBAC decides who reads secrets (data-plane roles); there are no access policies.
    enableRbacAuthorization: true
    accessPolicies: []
    // A deleted secret or vault can be recovered for softDeleteRetentionInDays, and nobody can purge it earlier.
    enableSoftDelete: true
    enablePurgeProtection: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // Flex Consumption without a virtual network resolves references over the public endpoint; only identities
    // holding a data role (the app's, app/rbac.bicep) can read a secret.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource graphClientStateSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(graphClientState)) {
  parent: vault
  name: secretNames.graphClientState
  properties: {
    value: graphClientState
    contentType: 'text/plain'
  }
}

resource oktaWebhookSecretSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(oktaWebhookSecret)) {
  parent: vault
  name: secretNames.oktaWebhookSecret
  properties: {
    value: oktaWebhookSecret
    contentType: 'text/plain'
  }
}

resource standardWebhookSecretsSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(standardWebhookSecrets)) {
  parent: vault
  name: secretNames.standardWebhookSecrets
  properties: {
    value: standardWebhookSecrets
    contentType: 'text/plain'
  }
}

resource eventGridWebhookSecretSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(eventGridWebhookSecret)) {
  parent: vault
  name: secretNames.eventGridWebhookSecret
  properties: {
    value: eventGridWebhookSecret
    contentType: 'text/plain'
  }
}

output name string = vault.name

@description('Vault URI with a trailing slash, e.g. https://kv-abc.vault.azure.net/: the base of the app settings\' Key Vault references.')
output uri string = vault.properties.vaultUri
