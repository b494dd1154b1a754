import { app } from '@azure/functions';

import { fromRoot } from '../app/bind';
import { openApi } from '../handlers/health';

app.http('openApi', { methods: ['GET'], route: 'openapi.json', authLevel: 'anonymous', handler: fromRoot(openApi) });
