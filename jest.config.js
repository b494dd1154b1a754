/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
  // Integration suites start their own stack (Azurite, ACS emulator, OIDC issuer, functions host) on free ports.
  testTimeout: 30000,
  maxWorkers: 2,
};
