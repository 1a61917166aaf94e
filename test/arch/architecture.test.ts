/**
 * Proves that the rules in .dependency-cruiser.cjs actually bite.
 *
 * The rule set is loaded from the real config file and applied, unchanged, to a miniature
 * Lectern tree in test/arch/fixture/. Cruising with `baseDir` = that folder makes its paths
 * start with `src/` (and `test/`), exactly like the real project, so no rule has to be
 * rewritten for the test.
 */
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cruise } from 'dependency-cruiser';
import type { ICruiseOptions, ICruiseResult, IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const repoRoot = resolve(import.meta.dirname, '../..');
const fixtureDir = join(import.meta.dirname, 'fixture');
const configFile = join(repoRoot, '.dependency-cruiser.cjs');
const tsConfigFile = join(repoRoot, 'tsconfig.json');

const ALL_RULES = [
  'no-circular',
  'platform-not-to-modules',
  'platform-not-to-root',
  'modules-only-through-index',
  'kysely-only-in-data-layer',
  'redis-libs-only-in-platform',
  'pg-drivers-only-in-db',
  'no-src-to-test',
  'not-to-unresolvable',
  'no-non-package-json',
] as const;
type RuleName = (typeof ALL_RULES)[number];

let violations: IViolation[] = [];
let configuredRules: string[] = [];

/** Violations of `rule` originating in `from` (path relative to the fixture dir). */
function violationsOf(rule: RuleName, from: string): IViolation[] {
  return violations.filter((v) => v.rule.name === rule && v.from === from);
}

/** Every violation (any rule) for the dependency from -> a `to` matching `to`. */
function violationsForEdge(from: string, to: RegExp): IViolation[] {
  return violations.filter((v) => v.from === from && to.test(v.to));
}

function describeAll(): string {
  return violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).join('\n');
}

beforeAll(async () => {
  const options: ICruiseOptions = await extractDepcruiseOptions(configFile);
  configuredRules = (options.ruleSet?.forbidden ?? []).map((r) => r.name ?? '');

  const cruiseOptions: ICruiseOptions = {
    ...options,
    baseDir: fixtureDir,
    // the config names tsconfig.json relative to the repo root; make it cwd-independent
    tsConfig: { fileName: tsConfigFile },
  };
  const reporterOutput = await cruise(
    ['src'],
    cruiseOptions,
    {},
    { tsConfig: extractTSConfig(tsConfigFile) },
  );
  // no outputType => the "identity" reporter, which hands back the result object itself
  const result = reporterOutput.output as ICruiseResult;
  violations = result.summary.violations;
}, 60_000);

describe('.dependency-cruiser.cjs', () => {
  it('defines exactly the expected forbidden rules', () => {
    expect(configuredRules.toSorted()).toEqual([...ALL_RULES].toSorted());
  });

  it('reports nothing but error-level violations from the fixture', () => {
    expect(violations.length, describeAll()).toBeGreaterThan(0);
    for (const v of violations) expect(v.rule.severity, describeAll()).toBe('error');
  });
});

describe('architecture rules on the fixture tree', () => {
  it('no-circular: flags the a.ts <-> b.ts cycle', () => {
    // dependency-cruiser reports each cycle once (from one of its members), with the full cycle attached
    const circular = violations.filter((v) => v.rule.name === 'no-circular');
    expect(circular, describeAll()).toHaveLength(1);
    const [cycle] = circular;
    const members = [cycle?.from, ...(cycle?.cycle ?? []).map((d) => d.name)];
    expect(new Set(members)).toEqual(new Set(['src/modules/documents/a.ts', 'src/modules/documents/b.ts']));
  });

  it('platform-not-to-modules: flags platform/db/x.ts importing a module service', () => {
    expect(
      violationsOf('platform-not-to-modules', 'src/platform/db/x.ts').map((v) => v.to),
      describeAll(),
    ).toEqual(['src/modules/users/users.service.ts']);
  });

  it('platform-not-to-root: flags platform importing deps.ts but allows config.ts', () => {
    expect(
      violationsOf('platform-not-to-root', 'src/platform/cache/cache.ts').map((v) => v.to),
      describeAll(),
    ).toEqual(['src/deps.ts']);
    expect(violationsForEdge('src/platform/cache/cache.ts', /^src\/config\.ts$/), describeAll()).toEqual([]);
  });

  it('modules-only-through-index: flags reaching into another module, allows its index.ts', () => {
    expect(
      violationsOf('modules-only-through-index', 'src/modules/social/feed.service.ts').map((v) => v.to),
      describeAll(),
    ).toEqual(['src/modules/users/users.repository.ts']);
    // the legal imports: the other module's public API, and a same-module file
    expect(
      violationsForEdge('src/modules/social/feed.service.ts', /^src\/modules\/users\/index\.ts$/),
      describeAll(),
    ).toEqual([]);
    expect(
      violationsForEdge('src/modules/social/feed.service.ts', /^src\/modules\/social\//),
      describeAll(),
    ).toEqual([]);
  });

  it('kysely-only-in-data-layer: flags a service, allows platform/db and *.repository.ts', () => {
    // both the value import of 'kysely' and the type-only import of 'kysely/migration'
    const inService = violationsOf('kysely-only-in-data-layer', 'src/modules/users/users.service.ts');
    expect(inService.map((v) => v.unresolvedTo).toSorted(), describeAll()).toEqual([
      'kysely',
      'kysely/migration',
    ]);
    expect(violationsOf('kysely-only-in-data-layer', 'src/modules/users/users.repository.ts')).toEqual([]);
    expect(violationsOf('kysely-only-in-data-layer', 'src/platform/db/x.ts')).toEqual([]);
  });

  it('redis-libs-only-in-platform: flags ioredis/rate-limiter-flexible in a module, allows it in platform', () => {
    const inModule = violationsOf('redis-libs-only-in-platform', 'src/modules/social/feed.service.ts');
    expect(inModule.map((v) => v.unresolvedTo).toSorted(), describeAll()).toEqual([
      'ioredis',
      'rate-limiter-flexible',
    ]);
    expect(violationsOf('redis-libs-only-in-platform', 'src/platform/cache/cache.ts')).toEqual([]);
  });

  it('pg-drivers-only-in-db: flags pg/@electric-sql in platform/cache, allows it in platform/db', () => {
    const inCache = violationsOf('pg-drivers-only-in-db', 'src/platform/cache/cache.ts');
    expect(inCache.map((v) => v.unresolvedTo).toSorted(), describeAll()).toEqual([
      '@electric-sql/pglite',
      'pg',
    ]);
    expect(violationsOf('pg-drivers-only-in-db', 'src/platform/db/x.ts')).toEqual([]);
  });

  it('no-src-to-test: flags src importing a test helper', () => {
    expect(
      violationsOf('no-src-to-test', 'src/modules/search/search.service.ts').map((v) => v.to),
      describeAll(),
    ).toEqual(['test/helpers.ts']);
  });

  it('not-to-unresolvable: flags an import that does not resolve', () => {
    expect(
      violationsOf('not-to-unresolvable', 'src/modules/search/broken.ts').map((v) => v.to),
      describeAll(),
    ).toEqual(['./does-not-exist.ts']);
  });

  it('no-non-package-json: flags a package that is only installed transitively', () => {
    const undeclared = violationsOf('no-non-package-json', 'src/modules/search/search.service.ts');
    expect(
      undeclared.map((v) => v.unresolvedTo),
      describeAll(),
    ).toEqual(['picocolors']);
  });

  it('reports every rule at least once, and nothing unexpected', () => {
    const fired = new Set(violations.map((v) => v.rule.name));
    expect([...fired].toSorted(), describeAll()).toEqual([...ALL_RULES].toSorted());
    // exact inventory: one violation per deliberate import (a cycle counts once), no collateral noise
    // (a cycle is keyed by its folder: which member dependency-cruiser reports it from is an implementation detail)
    const inventory = violations.map(
      (v) => `${v.rule.name}: ${v.rule.name === 'no-circular' ? dirname(v.from) : v.from}`,
    );
    expect(inventory.toSorted(), describeAll()).toEqual(
      [
        'kysely-only-in-data-layer: src/modules/users/users.service.ts',
        'kysely-only-in-data-layer: src/modules/users/users.service.ts',
        'modules-only-through-index: src/modules/social/feed.service.ts',
        'no-circular: src/modules/documents',
        'no-non-package-json: src/modules/search/search.service.ts',
        'no-src-to-test: src/modules/search/search.service.ts',
        'not-to-unresolvable: src/modules/search/broken.ts',
        'pg-drivers-only-in-db: src/platform/cache/cache.ts',
        'pg-drivers-only-in-db: src/platform/cache/cache.ts',
        'platform-not-to-modules: src/platform/db/x.ts',
        'platform-not-to-root: src/platform/cache/cache.ts',
        'redis-libs-only-in-platform: src/modules/social/feed.service.ts',
        'redis-libs-only-in-platform: src/modules/social/feed.service.ts',
      ].toSorted(),
    );
  });
});
