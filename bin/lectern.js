#!/usr/bin/env node
// Plain JavaScript on purpose: an older Node cannot even load the TypeScript entry, so the version check
// has to happen here to give a clear message.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `Lectern needs Node.js 24 or newer; this is ${process.version}. ` +
      'Run it through npm (`npm start`), which uses the Node 24 installed with the dependencies.\n',
  );
  process.exit(1);
}
await import('../src/main.ts');
