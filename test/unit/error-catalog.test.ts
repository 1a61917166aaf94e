import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG, renderErrorsMarkdown } from '../../src/error-catalog.ts';

const root = path.join(import.meta.dirname, '..', '..');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

describe('error catalogue', () => {
  it('docs/errors.md is generated from the catalogue and up to date (npm run errors:doc)', async () => {
    expect(await readFile(path.join(root, 'docs', 'errors.md'), 'utf8')).toBe(renderErrorsMarkdown());
  });

  it('documents every code the source throws, with the status it is thrown with', async () => {
    const documented = new Map(Object.values(ERROR_CATALOG).flatMap((codes) => Object.entries(codes)));
    const thrown = new Map<string, number>();
    for (const file of await sourceFiles(path.join(root, 'src'))) {
      const text = await readFile(file, 'utf8');
      for (const match of text.matchAll(/new AppError\(\s*'([A-Z_]+)',\s*(\d{3})/g))
        thrown.set(match[1]!, Number(match[2]));
    }
    expect(thrown.size).toBeGreaterThan(10);
    for (const [code, status] of thrown) {
      expect(documented.get(code)?.status, code).toBe(status);
    }
  });
});
