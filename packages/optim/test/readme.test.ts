import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../test-utils/readme-example';

it('the README example runs and prints what its comment says', async () => {
  const { logs } = await runReadmeExample(__dirname, '@mantissa/optim');
  expect(logs[0]).toEqual([0.001, 0.9, 0.99, 0.01, 1]);
});
