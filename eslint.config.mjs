// ESLint flat config: the rules that catch what hurts daemons (a promise nobody awaits, an import
// cycle that leaves a module half-initialised at start) and keep imports honest. Type-aware, so it
// reads each package's tsconfig through the TypeScript project service.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { flatConfigs as importX } from 'eslint-plugin-import-x';

export default tseslint.config(
  {
    // Build output, generated wire types and installed packages are not ours to lint.
    ignores: ['**/dist/**', '**/node_modules/**', 'packages/common/src/generated/**', 'data/**', '.demo/**'],
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended, importX.typescript],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    settings: {
      // Relative imports name no extension (Node16 CommonJS output), so resolve .ts sources.
      'import-x/resolver-next': [
        (await import('eslint-plugin-import-x')).createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'] }),
      ],
    },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits: calling them at
      // the top of a test file is the documented pattern, not a forgotten await.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/first': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ExportAllDeclaration',
          message:
            'Name the exports (export { a, type B } from ...): `export *` hides what a module offers and lets names collide silently.',
        },
      ],
      // The rules above are the gates; the recommended sets come along for their bug checks, but
      // these would flag the codebase's deliberate habits, so they stay off:
      // unused names are already compile errors (noUnusedLocals/noUnusedParameters).
      '@typescript-eslint/no-unused-vars': 'off',
      // import-x's resolver duplicates what tsc checks on every build.
      'import-x/no-unresolved': 'off',
      'import-x/named': 'off',
      'import-x/namespace': 'off',
      'import-x/default': 'off',
      'import-x/no-named-as-default-member': 'off',
      // Sanitising log lines and terminal output means matching control characters on purpose.
      'no-control-regex': 'off',
      // Tests match fixed-width table output, where literal spaces read as the output does.
      'no-regex-spaces': 'off',
      // `let worst = this` starts a max search (sync-sender); it is no closure alias.
      '@typescript-eslint/no-this-alias': 'off',
    },
  },
  {
    // Plain JS build scripts (ES modules) and the CommonJS launchers in bin/: no type information.
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
  {
    files: ['**/bin/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
  },
);
