import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium; the tests never download a browser. */
export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));

export const hasChromium = existsSync(CHROMIUM);
/** Without Chromium the browser tests skip locally and fail on CI. */
export const skipBrowser = !hasChromium && process.env.CI !== 'true';
export const MISSING_CHROMIUM = `browser tests need ${CHROMIUM} (install the Debian package 'chromium')`;

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile that is thrown away on close. */
export async function launchBrowser(): Promise<Browser> {
  if (!hasChromium) throw new Error(MISSING_CHROMIUM);
  const profile = mkdtempSync(join(tmpdir(), 'electorate-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
