import { writeFile } from 'node:fs/promises';
import { renderErrorsMarkdown } from '../src/error-catalog.ts';

await writeFile(new URL('../docs/errors.md', import.meta.url), renderErrorsMarkdown());
console.log('docs/errors.md written');
