import { defineConfig } from 'vitest/config';

// Three projects: `unit` is pure and fast; `dolt` needs the real Dolt binary,
// real `dolt sql-server` processes and sockets (files named *.dolt.test.ts);
// `image` builds and runs the container image with podman (*.image.test.ts,
// `npm run test:image`; not part of `npm test`).
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
      {
        test: {
          name: 'image',
          include: ['test/image/**/*.image.test.ts'],
          globalSetup: ['test/helpers/image-global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
