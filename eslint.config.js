// Lint rules that matter most here: no floating promises (a daemon must never
// drop a rejection) and no upward imports between layers (see docs/ARCHITECTURE.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// knex and mysql2 live only in src/storage.
const DRIVERS = ['knex', 'mysql2', 'mysql2/promise'].map((name) => ({ name, message: 'the database driver lives only in src/storage' }));

const layer = (from, forbidden) => ({
  files: [`src/${from}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: forbidden.map((f) => ({ group: [`**/${f}/*`, `../${f}/*`], message: `src/${from} must not import from src/${f} (layers point one way)` })),
      ...(from === 'storage' ? {} : { paths: DRIVERS }),
    }],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bench/**', 'node_modules/**', 'bin/**', 'scripts/**', 'deploy/**/*.mjs', 'bench/**/*.mjs', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  layer('merge', ['storage', 'transport', 'daemon', 'export', 'server', 'cli']),
  layer('storage', ['transport', 'daemon', 'export', 'server', 'cli']),
  layer('transport', ['daemon', 'export', 'server', 'cli']),
  layer('export', ['transport', 'daemon', 'server', 'cli']),
  layer('server', ['transport', 'daemon', 'export', 'cli']),
  layer('daemon', ['server', 'cli']),
  {
    files: ['src/merge/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', { name: 'Date', message: 'src/merge is pure: time comes in as an argument' }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'fs', 'path', 'net', 'child_process'], message: 'src/merge is pure: no I/O' }, { group: ['../storage/*', '../transport/*', '../daemon/*', '../export/*', '../server/*', '../cli/*'], message: 'layers point one way' }] }],
    },
  },
  layer('cli', []),
  // Small pure helpers every layer may use import none of them.
  layer('shared', ['merge', 'errors', 'storage', 'transport', 'daemon', 'export', 'server', 'cli']),
  {
    files: ['src/storage/**/*.ts', 'src/daemon/**/*.ts', 'src/transport/**/*.ts', 'src/server/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
);
