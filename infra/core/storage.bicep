// One storage account serves three purposes, all reached with Entra ID tokens only:
// - host storage for the Functions runtime (AzureWebJobsStorage: keys, leases, diagnostics),
// - the blob container Flex Consumption deploys the app package from,
// - the app's own data: the identity mapping (with its audit trail), processed-event ids and the event queue.

@description('Storage account name: 3-24 lowercase letters and digits, globally unique.')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the account.')
param location string

@description('Tags applied to the account.')
param tags object = {}

@description('Blob container Flex Consumption reads the deployment package from.')
param deploymentContainerName string

@description('Tables the app keeps its data in (mapping, processed events).')
param tableNames array

@description('Queues the app uses: the event queue and its poison queue.')
param queueNames array

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    // No account keys and no SAS: every caller (the app, the host, Flex deployment, operators) uses Entra ID.
    allowSharedKeyAccess: false
    // Makes the portal and tools use Entra ID too, instead of trying keys that are disabled.
    defaultToOAuthAuthentication: true
    // Nothing in this account is public: the deployment package and host blobs stay private.
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Flex Consumption without a virtual network reaches storage over its public endpoint; access is still
    // limited to identities holding a data role (see app/rbac.bicep).
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    // Flex Consumption pulls the app package from this container with the user-assigned identity.
    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource tableService 'tableServices' = {
    name: 'default'

    // Created with the infrastructure so they exist before the first request; the app's own create-if-missing
    // at start-up then finds them in place.
    resource table 'tables' = [for tableName in tableNames: {
      name: tableName
    }]
  }

  resource queueService 'queueServices' = {
    name: 'default'

    // The event queue and its poison queue ('<queue>-poison', where the host moves messages after
    // maxDequeueCount failures): created up front so operators can watch the poison queue from day one.
    resource queue 'queues' = [for queueName in queueNames: {
      name: queueName
    }]
  }
}

output name string = storage.name
output id string = storage.id
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
