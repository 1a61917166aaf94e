import { readFileSync } from 'node:fs';

// The package does not export its package.json; its entry point sits in dist/, one level below it.
const manifest = new URL('../package.json', import.meta.resolve('@electric-sql/pglite'));

/** The PGlite build this Lectern runs; a data dir written by another one cannot be opened (see data-dir). */
export const PGLITE_VERSION = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
