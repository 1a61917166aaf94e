// @ts-check
// ESLint flat config for Lectern (ESLint 10 + typescript-eslint 8).
//   - **/*.ts            : @eslint/js recommended + typescript-eslint recommendedTypeChecked (type-aware)
//   - **/*.{js,cjs,mjs}  : @eslint/js recommended only, Node globals, no type information
// Formatting is Prettier's job (see .prettierrc.json); no stylistic rules here.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * Node.js globals (the `globals` package is not a dependency, so they are listed here).
 * @type {Record<string, 'readonly' | 'writable'>}
 */
const nodeGlobals = {
  AbortController: 'readonly',
  AbortSignal: 'readonly',
  Blob: 'readonly',
  Buffer: 'readonly',
  BroadcastChannel: 'readonly',
  clearImmediate: 'readonly',
  clearInterval: 'readonly',
  clearTimeout: 'readonly',
  console: 'readonly',
  crypto: 'readonly',
  DOMException: 'readonly',
  Event: 'readonly',
  EventTarget: 'readonly',
  fetch: 'readonly',
  FormData: 'readonly',
  global: 'readonly',
  Headers: 'readonly',
  MessageChannel: 'readonly',
  navigator: 'readonly',
  performance: 'readonly',
  process: 'readonly',
  queueMicrotask: 'readonly',
  ReadableStream: 'readonly',
  Request: 'readonly',
  Response: 'readonly',
  setImmediate: 'readonly',
  setInterval: 'readonly',
  setTimeout: 'readonly',
  structuredClone: 'readonly',
  TextDecoder: 'readonly',
  TextEncoder: 'readonly',
  URL: 'readonly',
  URLSearchParams: 'readonly',
  WebSocket: 'readonly',
  WritableStream: 'readonly',
};

/** @type {Record<string, 'readonly' | 'writable'>} */
const commonjsGlobals = {
  __dirname: 'readonly',
  __filename: 'readonly',
  exports: 'writable',
  module: 'readonly',
  require: 'readonly',
};

const PROCESS_ENV_MESSAGE =
  'DESIGN: src/config.ts is the only reader of process.env. Add the setting to the config schema ' +
  'there and receive it via the typed config object instead.';

export default defineConfig(
  globalIgnores(
    [
      '**/node_modules/',
      'data/',
      'bench/.data/',
      'bench/results/',
      'coverage/',
      // deliberate dependency-rule violations used by test/arch/architecture.test.ts
      'test/arch/fixture/',
    ],
    'lectern/ignores',
  ),

  // ---------------------------------------------------------------------------------------------
  // Plain JavaScript: config files (eslint.config.js, .dependency-cruiser.cjs), bin/, scripts.
  // ---------------------------------------------------------------------------------------------
  {
    name: 'lectern/javascript',
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: nodeGlobals,
    },
    rules: {
      'no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    name: 'lectern/commonjs',
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { ...nodeGlobals, ...commonjsGlobals },
    },
  },

  // ---------------------------------------------------------------------------------------------
  // TypeScript: type-aware linting through the project service (uses ./tsconfig.json).
  // ---------------------------------------------------------------------------------------------
  {
    name: 'lectern/typescript',
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: nodeGlobals,
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // --- promises: an un-awaited promise in a server is a lost error or a race ---
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        {
          // Fastify accepts async functions as handlers/hooks/plugins (it awaits the returned
          // promise), so passing an async function where a void-returning callback is typed
          // is correct there. Conditionals, spreads, attributes etc. are still checked.
          checksVoidReturn: { arguments: false },
        },
      ],
      '@typescript-eslint/await-thenable': 'error',

      // --- imports: verbatimModuleSyntax requires type-only imports to be marked ---
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports', disallowTypeAnnotations: true },
      ],
      '@typescript-eslint/no-import-type-side-effects': 'error',

      // --- unused code: prefix with `_` to mark an intentionally unused binding ---
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],

      // --- general hygiene ---
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],

      // --- deliberately relaxed for Fastify/TypeBox code ---
      // Fastify plugins, hooks and route handlers are `async` by convention (Fastify decides
      // between callback- and promise-style by the function's async-ness), and many of them
      // never await anything. Requiring an await there is pure noise.
      '@typescript-eslint/require-await': 'off',
    },
  },

  // ---------------------------------------------------------------------------------------------
  // src/: config.ts is the ONLY reader of process.env (DESIGN).
  // ---------------------------------------------------------------------------------------------
  {
    name: 'lectern/src-no-process-env',
    files: ['src/**/*.ts'],
    ignores: ['src/config.ts'],
    rules: {
      // process.env.X, process.env['X'], const { env } = process
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: PROCESS_ENV_MESSAGE },
      ],
      // globalThis.process.env / global.process.env
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "MemberExpression[property.name='env'][object.type='MemberExpression'][object.property.name='process']",
          message: PROCESS_ENV_MESSAGE,
        },
      ],
      // import { env } from 'node:process'
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'node:process', importNames: ['env'], message: PROCESS_ENV_MESSAGE },
            { name: 'process', importNames: ['env'], message: PROCESS_ENV_MESSAGE },
          ],
        },
      ],
    },
  },

  // ---------------------------------------------------------------------------------------------
  // Tests, benchmarks and scripts.
  // ---------------------------------------------------------------------------------------------
  {
    name: 'lectern/tests-and-tooling',
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      // `expect(mock.method).toHaveBeenCalled()` and similar are idiomatic in tests
      '@typescript-eslint/unbound-method': 'off',
      // light-my-request's `response.json()` and JSON.parse() return `any`; asserting on their
      // shape is exactly what tests do, so the no-unsafe-* family is noise here (kept in src/)
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
);
