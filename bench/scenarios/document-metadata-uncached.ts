import { documentMetadata } from './document-metadata.ts';
import { libraryListUncached } from './library-list.ts';
import { defineScenario } from './scenario.ts';

export const documentMetadataUncached = defineScenario({
  name: 'document-metadata-uncached',
  description:
    'The same document with CACHE=off: the user lookup and the document row from SQL every request.',
  server: libraryListUncached.server, // the same CACHE=off server, started once for both
  setup: documentMetadata.setup,
});
