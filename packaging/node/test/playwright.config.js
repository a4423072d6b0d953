// Playwright Test for spa.spec.js: Debian's Chromium (never a downloaded browser), one worker.
module.exports = {
  testDir: __dirname,
  testMatch: '*.spec.js',
  workers: 1,
  timeout: 60000,
  reporter: 'list',
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    },
  },
};
