// The Azure Communication Services resource whose identities and access tokens the app manages.

@description('Name of the Communication Services resource (globally unique; it becomes <name>.<geo>.communication.azure.com).')
param name string

@description('Where ACS stores data at rest, e.g. \'United States\', \'Europe\', \'UK\', \'Australia\'. Cannot be changed after creation.')
param dataLocation string

@description('Turn off access keys and connection strings, so that only Entra ID (the app\'s managed identity) can call ACS.')
param disableLocalAuth bool = true

@description('Tags applied to the resource.')
param tags object = {}

// 2025-05-01 is the first GA API version with disableLocalAuth (Azure/bicep-types-az
// generated/communication/microsoft.communication/2025-05-01/types.md).
resource communication 'Microsoft.Communication/communicationServices@2025-05-01' = {
  name: name
  // ACS is a global resource; the data location below decides where data lives.
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    // With local auth off, a leaked access key or connection string cannot create identities or mint tokens.
    disableLocalAuth: disableLocalAuth
  }
}

output name string = communication.name
output id string = communication.id

@description('Endpoint the app passes to CommunicationIdentityClient (ACS_ENDPOINT).')
output endpoint string = 'https://${communication.properties.hostName}'
