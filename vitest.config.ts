import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Five projects, one per kind of test (README, "Tests"). `unit` and `infra` start no engine and
 * need no Java: pure rules, and templates synthesized by CDK. The others share one DynamoDB Local
 * per run (each test file gets its own table) and the local stage's IAM policies.
 */
const withEngines = ['tests/support/global-setup.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // The artifact tier runs the deployed bundles under Lambda's Node: npm run test:artifacts, not npm test.
    exclude: [...configDefaults.exclude, 'tests/artifacts/**'],
    projects: [
      // Pure rules hold no state between files, so the unit files share a worker's module cache
      // (isolate: false): importing zod, Luxon and the domain once per worker instead of once per
      // file takes the project from about 37 s to about 15 s on 2 cores. Each file is still its
      // own fork-pool task; a file that changes process-wide state (business-calendar's host-zone
      // test sets TZ) restores it after each test.
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], isolate: false } },
      { extends: true, test: { name: 'infra', include: ['tests/infra/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['tests/integration/**/*.test.ts'], globalSetup: withEngines } },
      { extends: true, test: { name: 'workflow', include: ['tests/workflow/**/*.test.ts'], globalSetup: withEngines } },
      { extends: true, test: { name: 'faults', include: ['tests/faults/**/*.test.ts'], globalSetup: withEngines } },
    ],
  },
});
