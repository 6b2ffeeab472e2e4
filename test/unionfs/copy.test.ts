// Chapter 2: the copy snapshotter, through the shared suite (it is the reference the overlay
// driver is compared with, so it runs the same tests).
import { describe } from 'vitest';
import { createSnapshotter } from '../../engine/unionfs/index.js';
import { skipUnless } from './helpers.js';
import { snapshotterSuite } from './snapshotter.suite.js';

describe.skipIf(skipUnless({ root: true }))('copy driver', () => {
  snapshotterSuite({ name: 'copy', factory: (a) => createSnapshotter({ ...a, driver: 'copy' }), manyLayers: 30, sharesFiles: false });
});
