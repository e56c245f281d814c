#!/usr/bin/env node
// Entry point of the `gexstream` CLI: runs the compiled composition root.
import('../dist/src/main.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/main.js')) {
    console.error('gexstream: not built yet; run `npm run build` first');
  } else {
    console.error(err);
  }
  process.exit(1);
});
