import { defineConfig } from '@playwright/test';

// Chromium is the system's (Debian) build: the enclave has no network to fetch Playwright's own.
export default defineConfig({
  testDir: 'test/e2e',
  outputDir: 'test-results/e2e',
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  use: {
    headless: true,
    screenshot: 'on',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      testIgnore: /electron\.spec\.ts/,
      use: {
        browserName: 'chromium',
        viewport: { width: 1440, height: 900 },
        colorScheme: 'dark',
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-quic',
            '--no-first-run',
            '--disable-sync',
          ],
        },
      },
    },
    {
      // Launches Electron itself (see electron.spec.ts); skips where no Electron binary exists.
      name: 'electron',
      testMatch: /electron\.spec\.ts/,
    },
  ],
});
