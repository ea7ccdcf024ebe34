import * as kernels from '../../src/engine/kernels/index.ts';
import { runKernelSuite } from './tensorKernelSuite.ts';

runKernelSuite('plain TypeScript kernels', kernels);
