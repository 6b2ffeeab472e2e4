// Runs in every test file before its tests: removes the temp dirs made with test/tmp.ts after
// the file has run. (The shared `dockling` parent cgroups are removed once, at the end of the
// run, by test/global-setup.ts.)
import { afterAll } from 'vitest';
import { removeTempDirs } from './tmp.js';

afterAll(removeTempDirs);
