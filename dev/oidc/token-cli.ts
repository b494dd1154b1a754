import { requestDevToken } from './client';

/**
 * `npm run token -- <userId> [--admin] [--role R] [--claim name=value]`: prints a bearer token from the local
 * development issuer (OIDC_PORT, default 7090), accepted by the local API.
 */
async function main(argv: string[]): Promise<void> {
  const userId = argv.find((arg) => !arg.startsWith('--') && !isFlagValue(argv, arg));
  if (!userId) {
    console.error('usage: npm run token -- <userId> [--admin] [--role <role>] [--claim <name>=<value>]');
    process.exitCode = 2;
    return;
  }
  const roles = valuesOf(argv, '--role');
  const claims = Object.fromEntries(
    valuesOf(argv, '--claim').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
  const issuer = process.env['OIDC_ISSUER_URL'] ?? `http://127.0.0.1:${process.env['OIDC_PORT'] ?? '7090'}`;
  try {
    process.stdout.write(
      `${await requestDevToken(issuer, userId, { admin: argv.includes('--admin'), roles, claims })}\n`,
    );
  } catch (error) {
    console.error(
      `Could not get a token from ${issuer} (${(error as Error).message}). Is the local stack running (npm start)?`,
    );
    process.exitCode = 1;
  }
}

const isFlagValue = (argv: string[], arg: string) => {
  const index = argv.indexOf(arg);
  return index > 0 && ['--role', '--claim'].includes(argv[index - 1]);
};
const valuesOf = (argv: string[], flag: string) =>
  argv.flatMap((arg, index) => (argv[index - 1] === flag ? [arg] : []));

void main(process.argv.slice(2));
