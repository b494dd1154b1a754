// Test-only runner: starts the built host through its API (not the CLI) with options the CLI
// does not expose: settings overrides, a log sink, extra dev routes. Prints the same ready line.
const { startFunctionsHost } = require('../../../dist/dev/host');

async function main() {
  const host = await startFunctionsHost({
    appRoot: process.argv[2],
    port: 0,
    settings: { OVERRIDDEN_BY_ENV: 'from options.settings' },
    log: (level, message) => process.stdout.write(`LOG ${level} ${message}\n`),
    extraRoutes: [
      {
        method: 'GET',
        path: '/dev/ping',
        handler: (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('pong');
        },
      },
    ],
  });
  process.stdout.write(
    `FUNCTIONS ${JSON.stringify(host.functions.map(({ name, trigger, url, queueName, schedule }) => ({ name, trigger, url, queueName, schedule })))}\n`,
  );
  process.stdout.write(`Host ready: ${host.url}\n`);
  process.on('SIGTERM', () => {
    host.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
