// Alerts on the app's own OpenTelemetry counters, which Application Insights stores in its customMetrics table by
// name (docs/deploy.md, "Alerts"):
// - identity.events.poison: a queue message exhausted its retries and went to the poison queue (a user whose
//   revocation or deletion did not happen);
// - identity.acs.throttled: ACS answered 429 (callers are getting 503 with Retry-After).
// Both are log search alerts (scheduled queries) on the Application Insights component. The action group exists only
// when an e-mail address is given; without it the alerts still fire and show in the portal (Monitor > Alerts).

@description('Azure region of the alert rules (the component\'s region).')
param location string

@description('Tags applied to the alert rules and the action group.')
param tags object = {}

@description('Resource id of the Application Insights component the queries run against.')
param applicationInsightsId string

@description('Prefix of the rules\' and the action group\'s names.')
param namePrefix string

@description('E-mail address that receives the alerts; empty = no action group (alerts show in the portal only).')
param alertEmail string = ''

@description('ACS 429 answers in 15 minutes that raise the throttling alert.')
@minValue(1)
param throttledThreshold int = 10

// The metric names the app emits (src/: OpenTelemetry counters); keep in step with the code.
var poisonMetricName = 'identity.events.poison'
var throttledMetricName = 'identity.acs.throttled'

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-${namePrefix}'
  // Action groups are global resources.
  location: 'global'
  tags: tags
  properties: {
    // At most 12 characters; shown as the sender of e-mails and SMS.
    groupShortName: 'acs-identity'
    enabled: true
    emailReceivers: [
      {
        name: 'operators'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actions = empty(alertEmail) ? [] : [actionGroup.id]

resource poisonAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-poison'
  location: location
  tags: tags
  properties: {
    displayName: 'Identity events in the poison queue'
    description: 'An identity-provider event (revoke or delete a user\'s ACS identity) failed every retry and is in the poison queue: that user\'s tokens may still be valid. Inspect the queue (docs/deploy.md, Alerts).'
    severity: 2
    enabled: true
    scopes: [
      applicationInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "${poisonMetricName}" | summarize poisoned = sum(valueSum) by bin(timestamp, 5m)'
          timeAggregation: 'Total'
          metricMeasureColumn: 'poisoned'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    // Resolves itself once a window passes without a poisoned message.
    autoMitigate: true
    actions: {
      actionGroups: actions
    }
  }
}

resource throttledAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-acs-throttled'
  location: location
  tags: tags
  properties: {
    displayName: 'ACS is throttling the identity service'
    description: 'Azure Communication Services answered 429 at least ${throttledThreshold} times in 15 minutes; callers get 503 with Retry-After. Lower maximumInstanceCount or ask for a higher ACS quota (docs/deploy.md, Alerts).'
    severity: 2
    enabled: true
    scopes: [
      applicationInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "${throttledMetricName}" | summarize throttled = sum(valueSum) by bin(timestamp, 15m)'
          timeAggregation: 'Total'
          metricMeasureColumn: 'throttled'
          operator: 'GreaterThanOrEqual'
          threshold: throttledThreshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actions
    }
  }
}

output poisonAlertName string = poisonAlert.name
output throttledAlertName string = throttledAlert.name
