import { app } from '@azure/functions';

import { fromRoot } from '../app/bind';
import { diagnoseAcs } from '../handlers/diagnostics';

/** Key-protected (authLevel 'function': callers send `x-functions-key`); the azd postdeploy hook calls it after each deployment. */
app.http('diagnoseAcs', {
  methods: ['POST'],
  route: 'diagnostics/acs',
  authLevel: 'function',
  handler: fromRoot(diagnoseAcs),
});
