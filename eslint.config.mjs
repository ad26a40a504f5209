// Lint: typescript-eslint's recommended rules on our TypeScript, plus the project's conventions
// (no `any`, no focused or skipped tests, the folder layering of eslint.layers.mjs). Type checking
// itself is `npm run typecheck`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layersPlugin } from './eslint.layers.mjs';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdktf.out/', '.gen/', '.local/', '.venv/', '.bench/', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { layers: layersPlugin },
    rules: {
      'layers/imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        ...['describe', 'it', 'test'].flatMap((object) => [
          { object, property: 'only', message: 'Focused tests must not reach main.' },
          { object, property: 'skip', message: 'Skipped tests must not reach main.' },
          { object, property: 'todo', message: 'A todo test is not a test.' },
        ]),
      ],
    },
  },
);
