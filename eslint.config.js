// ESLint flat config. Type-aware rules (typescript-eslint with the project service, which finds
// every .ts file through tsconfig.json: packages + tests) over the TypeScript sources, tests and
// fixtures; plain JavaScript rules over the .js/.mjs scripts, examples and fixtures. The rules
// are picked for bugs (unawaited promises, promises where callbacks go, focused or skipped tests,
// dead code), not style: formatting is Prettier's job.
import js from '@eslint/js';
import vitest from '@vitest/eslint-plugin';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/coverage/**',
      '**/.bench/**',
      '**/.tmp/**',
      'out/**',
      'deadletter/**',
      'charts/**',
      // AssemblyScript, compiled by asc: not TypeScript that tsc or typescript-eslint understand.
      'transforms/*/assembly/**',
      'transforms/kit/test/assembly/**',
    ],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['**/*.{ts,mts,cts}'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: {
          // Loose files outside every tsconfig: checked on their own.
          allowDefaultProject: ['vitest.config.ts', 'vitest.unit.config.ts', 'examples/grafana/generate.d.mts', 'transforms/kit/testing.d.ts'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Promises: the bugs this linter is here for.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
      // verbatimModuleSyntax keeps imports as written: type-only imports must say so, and
      // `import { type A }` would leave a side-effect import behind.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Errors are passed on as caught (`unknown`, narrowed to `{}` by `if (failure)`), and the
      // replay JSON scanner throws a cheap non-Error position on purpose: these two rules
      // flagged only such sites.
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      // Style rather than bugs: async functions that implement async interfaces without awaiting,
      // and explicit `any` (strict mode already makes every `any` a choice written down).
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // String(unknown) is the deliberate way JSON values are printed here.
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    files: ['**/*.test.ts', '**/*.fixture.ts', '**/*.test.js', 'test/**/*.ts'],
    plugins: { vitest },
    rules: {
      ...vitest.configs.recommended.rules,
      'vitest/no-focused-tests': 'error',
      // Type-level tests assert through expectTypeOf (checked by `npm run typecheck`).
      'vitest/expect-expect': ['error', { assertFunctionNames: ['expect', 'expectTypeOf', 'assert*'] }],
      'vitest/no-disabled-tests': 'error',
      // vitest's expect(value, message) takes a second argument.
      'vitest/valid-expect': ['error', { alwaysAwait: true, maxArgs: 2 }],
      // Tests branch on the platform (/proc, tmpfs, optional tools) on purpose.
      'vitest/no-conditional-expect': 'off',
    },
  },
  {
    // Tests and fixtures read JSON, HTTP bodies and wasm exports, which are `any` by nature;
    // the any-tracking rules stay on for the shipped sources.
    files: ['**/*.test.ts', '**/*.fixture.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // Ambient declarations are written with `var` and empty merge-target interfaces.
    files: ['**/*.d.ts', '**/*.d.mts'],
    rules: {
      'no-var': 'off',
      '@typescript-eslint/no-empty-object-type': 'off',
    },
  },
);
