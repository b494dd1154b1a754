// The app's identity on one more ACS resource: the same role as on the primary (see rbac.bicep).

@description('Name of the Communication Services resource.')
param communicationServiceName string

@description('Principal id of the app\'s user-assigned identity.')
param principalId string

@description('Contributor (documented for ACS identity with Entra ID) or Communication and Email Service Owner.')
@allowed([
  'Contributor'
  'Communication and Email Service Owner'
])
param acsRoleName string = 'Contributor'

var roleId = acsRoleName == 'Contributor' ? 'b24988ac-6180-42a0-ab88-20f7382dd24c' : '09976791-48a7-449e-bb21-39d1a415f350'

resource communication 'Microsoft.Communication/communicationServices@2025-05-01' existing = {
  name: communicationServiceName
}

resource appAcsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communication.id, principalId, roleId)
  scope: communication
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
