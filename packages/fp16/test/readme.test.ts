import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../test-utils/readme-example';

it('the README example runs and prints what its comment says', async () => {
  const { logs } = await runReadmeExample(__dirname, '@mantissa/fp16');
  expect(logs[0]).toEqual(['float16', 65536, 0]);
});
