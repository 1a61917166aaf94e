// @ts-check
/**
 * Architecture rules for Lectern (see the design doc's layout section).
 *
 *   src/main.ts config.ts deps.ts app.ts jobs.ts   composition root
 *   src/platform/                                   infrastructure ports + adapters
 *   src/modules/<name>/                             domain modules (public API = index.ts)
 *
 * Run with: npm run arch  (depcruise src --config .dependency-cruiser.cjs)
 *
 * All paths below are relative to the cruise's baseDir (the repo root when run
 * from the CLI). test/arch/architecture.test.ts re-uses this exact rule set on a
 * fixture tree (baseDir = test/arch/fixture) to prove every rule fires.
 *
 * Packages are matched on their *resolved* path, so the patterns tolerate a
 * leading `../` (the fixture case) and the `@types/` mirror of a package.
 */

/**
 * Regex matching a resolved path inside node_modules (or node_modules/@types) for any of the given
 * package-name patterns (regex fragments, e.g. '@electric-sql/[^/]+').
 */
const inPackages = (/** @type {string[]} */ names) => `(^|/)node_modules/(@types/)?(${names.join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'This dependency is part of a circular relationship. Break the cycle: move the shared piece ' +
        'into its own file, depend on a port/interface instead, or inject it via deps.ts. Type-only ' +
        'imports count too (tsPreCompilationDeps), because they still couple the files.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'platform-not-to-modules',
      severity: 'error',
      comment:
        'src/platform/ is infrastructure (ports + adapters) and must never know about domain modules. ' +
        'If platform code needs something from a module, define a port in platform/ and let the module ' +
        'implement it (wired in src/deps.ts).',
      from: { path: '^src/platform/' },
      to: { path: '^src/modules/' },
    },
    {
      name: 'platform-not-to-root',
      severity: 'error',
      comment:
        'src/platform/ must not import the composition root (app.ts, deps.ts, main.ts, jobs.ts); the ' +
        'root wires platform, not the other way round. Importing src/config.ts (config types) IS allowed.',
      from: { path: '^src/platform/' },
      to: { path: '^src/(app|deps|main|jobs)\\.ts$' },
    },
    {
      name: 'modules-only-through-index',
      severity: 'error',
      comment:
        "A module may only use another module through that module's public API: " +
        "src/modules/<other>/index.ts. Export what you need from the other module's index.ts instead " +
        'of reaching into its internals (services, repositories, schemas, ...).',
      from: { path: '^src/modules/([^/]+)/' },
      to: {
        path: '^src/modules/([^/]+)/',
        pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'],
      },
    },
    {
      name: 'kysely-only-in-data-layer',
      severity: 'error',
      comment:
        'kysely (query builder) belongs to the data layer only: src/platform/db/, *.repository.ts files ' +
        'and migrations/. Services and routes talk to repositories, never to the database directly. ' +
        'This includes `import type` from kysely - expose domain types from the repository instead.',
      from: { pathNot: ['^src/platform/db/', '\\.repository\\.ts$', '^migrations/'] },
      to: { path: inPackages(['kysely']) },
    },
    {
      name: 'redis-libs-only-in-platform',
      severity: 'error',
      comment:
        'Redis-backed libraries (ioredis, bullmq, bentocache, rate-limiter-flexible) are infrastructure: ' +
        'use them only inside src/platform/ (cache/, queue/, pubsub/, http/ rate limiting ...) and ' +
        'expose a port to the rest of the app.',
      from: { path: '^src/', pathNot: '^src/platform/' },
      to: { path: inPackages(['ioredis', 'bullmq', 'bentocache', 'rate-limiter-flexible']) },
    },
    {
      name: 'pg-drivers-only-in-db',
      severity: 'error',
      comment:
        'Postgres drivers (pg, @electric-sql/* i.e. PGlite) may only be used from src/platform/db/. ' +
        'Everything else goes through the db port / kysely in repositories.',
      from: { path: '^src/', pathNot: '^src/platform/db/' },
      to: { path: inPackages(['pg', '@electric-sql/[^/]+']) },
    },
    {
      name: 'no-src-to-test',
      severity: 'error',
      comment:
        'Production code (src/) must never import from test/ or bench/ (test helpers, fixtures, ' +
        'benchmarks). Move shared code into src/ and import it from the tests instead.',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        "This module depends on a module that cannot be found ('resolved to disk'). If it's an npm " +
        'module: add it to package.json. Relative imports must carry the .ts extension.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-non-package-json',
      severity: 'error',
      comment:
        "This module depends on an npm package that isn't declared in package.json (it is only " +
        'present transitively, or not at all). Add it to package.json dependencies explicitly.',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Count `import type` / type-only re-exports as dependencies: they are still coupling.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
