import { app } from '@azure/functions';

import { withRoot } from '../app/bind';
import { purgeProcessedEvents, reconcileIdentities } from '../handlers/maintenance';

/** Daily at 03:17 UTC. */
app.timer('purgeProcessedEvents', { schedule: '0 17 3 * * *', handler: withRoot(purgeProcessedEvents) });

/** Every 5 minutes. */
app.timer('reconcileIdentities', { schedule: '0 */5 * * * *', handler: withRoot(reconcileIdentities) });
