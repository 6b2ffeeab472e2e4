// Runs in every test file before its tests: removes the temp dirs made with test/tmp.ts.
import { afterAll } from 'vitest';
import { removeTempDirs } from './tmp.js';

afterAll(removeTempDirs);
