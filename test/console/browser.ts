import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import type { Gateway } from '../../src/server';
import { startDemoGateway } from './demoGateway';

/**
 * What the console's browser tests share: Debian's chromium through playwright-core, the built
 * console, screenshots, and signing in as a demo user through the sign-in page.
 */
export const ROOT = path.join(__dirname, '../..');
export const CHROMIUM = process.env.DATAGATE_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = path.join(ROOT, 'test-artifacts/console');
const DOCS = path.join(ROOT, 'docs/console');

/** Launches chromium headless (building the console first when it was never built). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `no chromium at ${CHROMIUM}: the console's browser tests drive Debian's chromium. Install it with ` +
        '`apt-get update && apt-get install -y --no-install-recommends chromium` (.ci/run does), or set DATAGATE_CHROMIUM to a Chromium binary.',
    );
  // `npm run build` builds the console; a bare `npm test` on a fresh clone builds it here.
  if (!existsSync(path.join(ROOT, 'console/dist/index.html'))) execFileSync('npm', ['run', 'build:console', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A full-page screenshot in test-artifacts/console/ (and docs/console/ with DATAGATE_UPDATE_DOCS_SCREENSHOTS). */
export async function shot(page: Page, name: string): Promise<void> {
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.DATAGATE_UPDATE_DOCS_SCREENSHOTS) {
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(file, path.join(DOCS, `${name}.png`));
  }
}

export interface SignInOptions {
  /** Screenshot the sign-in page under this name before picking the user. */
  screenshot?: string;
  /** Where to start: a path on the gateway or a full URL (default /). */
  at?: string;
  /** Runs on the new context before the first page loads (routes, request recorders). */
  prepare?: (context: BrowserContext) => unknown;
  context?: BrowserContextOptions;
}

/**
 * `signIn(user)`: a fresh browser context (nothing shared with the others) signed in as a demo user
 * through the sign-in page's demo list, at `at` (default /).
 */
export function signInWith(browser: Browser, base: string) {
  return async function signIn(user: string, opts: SignInOptions = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, ...opts.context });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    await opts.prepare?.(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => console.log(`${user}: page error: ${e.message}`));
    const at = opts.at ?? '/';
    await page.goto(at.startsWith('http') ? at : `${base}${at}`);
    await page.getByRole('heading', { name: 'Sign in to datagate' }).waitFor();
    await page.getByTestId(`demo-user-${user}`).waitFor();
    if (opts.screenshot) await shot(page, opts.screenshot);
    await page.getByTestId(`demo-user-${user}`).click();
    await page.getByTestId('who').getByText(user, { exact: true }).waitFor();
    return page;
  };
}

/** The cells of one column of the table view, top to bottom. */
export async function columnOf(page: Page, name: string): Promise<string[]> {
  const header = await page.getByTestId('rows').locator('thead th').allTextContents();
  const at = header.findIndex((h) => h.trim().split(/\s/)[0] === name) + 1;
  if (at === 0) throw new Error(`no column ${name} in ${header.join(', ')}`);
  return page.getByTestId('rows').locator(`tbody tr td:nth-child(${at})`).allTextContents();
}

/** A browser test file's setup: chromium and the embedded demo gateway, started in its beforeAll and closed in its afterAll; read the fields inside tests. */
export interface DemoConsole {
  gw: Gateway;
  /** The console's origin (http://127.0.0.1:port). */
  base: string;
  /** The gateway's /graphql. */
  url: string;
  browser: Browser;
  signIn: ReturnType<typeof signInWith>;
}

export function useDemoConsole(opts: { scale: number } = { scale: 0.25 }): DemoConsole {
  const s = {} as DemoConsole;
  beforeAll(async () => {
    s.browser = await launchChromium();
    Object.assign(s, await startDemoGateway(opts));
    s.signIn = signInWith(s.browser, s.base);
  }, 300_000);
  afterAll(async () => {
    await s.browser?.close();
    await s.gw?.close();
  });
  return s;
}
