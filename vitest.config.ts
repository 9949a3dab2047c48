import { defineConfig } from 'vitest/config';

// The end-to-end suite runs once per engine, each against its own private daemon and world:
// all three by default; TIDY_E2E_ENGINES picks some (comma-separated: 20.10, 26, 26-containerd).
// The release tests (test/release/) run once, on their own 20.10 daemon; TIDY_RELEASE_TESTS=0 leaves them out.
const ALL_ENGINES = ['20.10', '26', '26-containerd'];
const DEFAULT_ENGINES = ALL_ENGINES;
const wanted = process.env.TIDY_E2E_ENGINES?.trim();
const engines = !wanted ? DEFAULT_ENGINES : wanted === 'all' ? ALL_ENGINES : wanted.split(',').map((e) => e.trim());

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      ...engines.map((engine) => ({
        test: {
          // The engine and store are in every test's name: "|e2e engine 26-containerd| ...".
          name: `e2e engine ${engine}`,
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          env: { TIDY_E2E_ENGINE: engine },
          // One private daemon world per engine is shared: its files run one after another.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      })),
      // The release files for every platform (npm run build:all), on engine 20.10's private daemon.
      ...(process.env.TIDY_RELEASE_TESTS === '0'
        ? []
        : [
            {
              test: {
                name: 'release',
                include: ['test/release/**/*.test.ts'],
                globalSetup: ['test/e2e/global-setup.ts', 'test/release/global-setup.ts'],
                env: { TIDY_E2E_ENGINE: '20.10' },
                fileParallelism: false,
                testTimeout: 600_000,
                hookTimeout: 600_000,
              },
            },
          ]),
    ],
  },
});
