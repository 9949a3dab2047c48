import { defineConfig } from 'vitest/config';

// The end-to-end suite runs once per engine, each against its own private daemon and world.
// `npm test` on a workstation: engine 20.10 only (minutes). With CI=true the CI matrix: 20.10
// (classic store), 28.5 (classic) and 28.5 with the containerd image store. TIDY_E2E_ENGINES picks
// others (comma-separated, from ALL_ENGINES), or "all".
// The release tests (test/release/) run once, on their own 20.10 daemon; TIDY_RELEASE_TESTS=0
// leaves them out.
// (test/support/daemon.ts's ENGINES, repeated: the config must not load the daemon support.)
const ALL_ENGINES = ['20.10', '26', '26-containerd', '28.5', '28.5-containerd'];
const CI_ENGINES = ['20.10', '28.5', '28.5-containerd'];
const DEFAULT_ENGINES = process.env.CI === 'true' ? CI_ENGINES : ['20.10'];
const wanted = process.env.TIDY_E2E_ENGINES?.trim();
const engines = !wanted ? DEFAULT_ENGINES : wanted === 'all' ? ALL_ENGINES : wanted.split(',').map((e) => e.trim()).filter(Boolean);
const unknown = engines.filter((e) => !ALL_ENGINES.includes(e));
if (unknown.length) throw new Error(`TIDY_E2E_ENGINES: unknown engine ${unknown.join(', ')} (known: ${ALL_ENGINES.join(', ')}, or all)`);

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      ...engines.map((engine) => ({
        test: {
          // The engine and store are in every test's name: "|e2e engine 28.5-containerd| ...".
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
