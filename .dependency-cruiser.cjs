/**
 * The layering rules (docs/architecture.md), checked by `npm run check:layers` in .ci/run.
 * Dependencies point one way: handlers → http / workflow adapters → use cases → ports + domain.
 */
const domain = '^functions/domain/';
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'A cycle makes two modules one: split what they share into a third.', from: {}, to: { circular: true } },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'Rules take now and config as arguments: the domain imports nothing from requests, HTTP, adapters, use cases, handlers, the environment or an SDK.',
      from: { path: domain },
      to: { path: ['^functions/(schemas|http|adapters|usecases|handlers|workflow|playbook)/', '^functions/config', '^@aws-sdk/', '^node:process$'] },
    },
    {
      name: 'ports-are-interfaces',
      severity: 'error',
      comment: 'Ports name what the use cases need; they depend on the domain at most.',
      from: { path: '^functions/ports/' },
      to: { path: '^functions/(schemas|http|adapters|usecases|handlers|workflow)/' },
    },
    {
      name: 'usecases-know-ports-not-adapters',
      severity: 'error',
      comment: 'A use case reaches the world through ports; which adapter serves it is the handler\'s wiring.',
      from: { path: '^functions/usecases/' },
      to: { path: ['^functions/(http|adapters|handlers|workflow)/', '^@aws-sdk/'] },
    },
    {
      name: 'adapters-do-not-call-up',
      severity: 'error',
      comment: 'Adapters implement ports; they never call the use cases, HTTP or handlers.',
      from: { path: '^functions/adapters/' },
      to: { path: '^functions/(usecases|http|handlers|workflow)/' },
    },
    {
      name: 'schemas-are-shapes',
      severity: 'error',
      comment: 'Request and response shapes parse into the domain\'s commands; the HTTP adapters and the OpenAPI document read them, never the reverse.',
      from: { path: '^functions/schemas/' },
      to: { path: '^functions/(http|adapters|usecases|handlers|workflow|playbook|ports)/' },
    },
    {
      name: 'playbook-is-configuration',
      severity: 'error',
      comment: 'The playbook loader parses a file into the domain\'s Playbook; it knows nothing of requests or the world.',
      from: { path: '^functions/playbook/' },
      to: { path: '^functions/(schemas|http|adapters|usecases|handlers|workflow|ports)/' },
    },
    {
      name: 'support-is-generic',
      severity: 'error',
      comment: 'Helpers (the retry loop, concurrency, type checks) serve every layer, so they depend on none above the domain.',
      from: { path: '^functions/support/' },
      to: { path: '^functions/(schemas|http|adapters|usecases|handlers|workflow|playbook|ports)/' },
    },
    {
      name: 'handlers-are-leaves',
      severity: 'error',
      comment: 'Nothing imports a handler: each is one Lambda\'s entry point.',
      from: {},
      to: { path: '^functions/handlers/' },
    },
    {
      name: 'functions-stand-alone',
      severity: 'error',
      comment: 'What deploys as Lambda code imports nothing from the CDK app, the local stack, tests or benchmarks.',
      from: { path: '^functions/' },
      to: { path: '^(lib|local|tests|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
