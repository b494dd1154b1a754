// The one identity the function app uses for everything it calls (host storage, the app's tables and queues,
// ACS, Application Insights). User-assigned rather than system-assigned so that its role assignments can be
// created before the app exists and survive a re-creation of the app.

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region of the identity.')
param location string

@description('Tags applied to the identity.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id, attached to the function app and used by Flex to read the deployment package.')
output id string = identity.id

@description('Client id: what the app passes to ManagedIdentityCredential (AZURE_CLIENT_ID, *__clientId).')
output clientId string = identity.properties.clientId

@description('Object (principal) id: what role assignments are granted to.')
output principalId string = identity.properties.principalId

output name string = identity.name
