// Unused files, exports, types and dependencies, checked by `npm run knip` in .ci/run.
// Entry points not listed here come from knip's plugins: package.json `bin` (bin/quanqun.js) and
// scripts, vitest.config.ts (and its globalSetup test/support/global-setup.ts), drizzle.config.ts
// (drizzle-kit) and biome.json (biome).
import type { KnipConfig } from 'knip'

export default {
  entry: [
    // bin/quanqun.js loads the CLI through a dynamic import after registering tsx.
    'cli/main.ts',
    'test/**/*.test.ts',
    // Spawned as child processes by path (fork/tsx), so nothing imports them.
    'test/support/*child*.ts',
    // `npm run bench` runs bench/run.ts; the other bench files are run or forked by path.
    'bench/*.ts',
  ],
  project: ['**/*.{ts,tsx}', 'bin/**/*.js'],
  // app/redis-server.ts starts the system `redis-server` (Debian package) for the demo when no
  // Redis answers; it is not an npm binary, so it cannot be listed in package.json.
  ignoreBinaries: ['redis-server'],
  // web/assets.ts serves htmx's file, found with require.resolve('htmx.org/dist/htmx.min.js'),
  // which knip does not read as a use of the package.
  ignoreDependencies: ['htmx.org'],
} satisfies KnipConfig
