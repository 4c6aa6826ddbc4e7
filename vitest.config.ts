import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure and fast; `dolt` needs the real Dolt binary,
// real `dolt sql-server` processes and sockets (files named *.dolt.test.ts).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'],
          exclude: ['**/*.dolt.test.ts'],
        },
      },
      {
        test: {
          name: 'dolt',
          include: ['test/dolt/**/*.dolt.test.ts'],
          globalSetup: ['test/helpers/dolt-global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
