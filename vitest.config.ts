import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The artifact tier runs the deployed bundles under Lambda's Node: npm run test:artifacts, not npm test.
    exclude: [...configDefaults.exclude, 'tests/artifacts/**'],
    // One DynamoDB Local for the whole run; each test file gets its own table.
    globalSetup: ['tests/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
