import { packageTestConfig } from '../../vitest.base';

// beforeAll builds the real MNIST sample into a temp folder.
export default packageTestConfig({ hookTimeout: 120_000 });
