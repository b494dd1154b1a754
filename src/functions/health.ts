import { app } from '@azure/functions';

import { fromRoot } from '../app/bind';
import { health } from '../handlers/health';

app.http('health', { methods: ['GET'], route: 'health', authLevel: 'anonymous', handler: fromRoot(health) });
