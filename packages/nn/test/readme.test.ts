import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../test-utils/readme-example';

it('the README example runs and prints what its comments say', async () => {
  const { logs } = await runReadmeExample(__dirname, '@mantissa/nn');
  const printed = logs.map((args) => args[0]);
  expect(printed[0]).toBe(3058);
  expect(printed[1]).toEqual(['0.0.weight', '0.0.bias', '1.0.weight', '1.0.bias', '2.0.weight', '2.0.bias']);
  expect(printed[2]).toEqual(['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']);
  expect(printed[3]).toBe('float16');
});
