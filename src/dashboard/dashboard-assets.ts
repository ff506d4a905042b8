import { existsSync, readFileSync } from 'node:fs';

export interface Asset {
  type: string;
  body: Buffer;
}

const FILES: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

/**
 * The page's files: in a checkout, straight from src/ (always the current ones); in the
 * installed package, which ships only dist/, from the copy the build puts beside this module.
 */
function assetDir(): URL {
  const source = new URL('../../../src/dashboard/assets/', import.meta.url);
  if (existsSync(new URL('index.html', source))) return source;
  return new URL('./assets/', import.meta.url);
}

let cache: Map<string, Asset> | undefined;

/** The dashboard's file for a request path, or undefined when the path is none of them. */
export function dashboardAsset(path: string): Asset | undefined {
  if (cache === undefined) {
    const dir = assetDir();
    cache = new Map();
    for (const [route, [file, type]] of Object.entries(FILES)) {
      cache.set(route, { type, body: readFileSync(new URL(file, dir)) });
    }
  }
  return cache.get(path);
}
