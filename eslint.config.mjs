// One house style, checked by `npm test` (`npm run lint`). Type-aware: the rules see the program tsc sees
// (tsconfig.test.json covers src, dev, test, bench and samples).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

import layers from './tools/eslint/layers.cjs';

export default tseslint.config(
  { ignores: ['dist/**', 'artifact/**', 'node_modules/**', 'coverage/**', '.azurite/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Arrows only point down (tools/eslint/layers.cjs).
    files: ['src/**/*.ts'],
    plugins: { layers },
    rules: { 'layers/only-down': 'error' },
  },
  {
    // Jest fakes implement async ports synchronously, `expect(fake.method)` reads a method without calling it,
    // and jest types its asymmetric matchers (`expect.any(String)`) as `any`.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // Plain JavaScript: CommonJS fixtures and scripts, and the pages that run in a browser.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['**/*.js'], languageOptions: { sourceType: 'commonjs' } },
  {
    files: ['dev/demo/**/*.js', 'samples/browser/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
  },
);
