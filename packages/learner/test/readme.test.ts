import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../test-utils/readme-example';

it('the README example runs, prints the table and what its comments say', async () => {
  const { logs, stdout } = await runReadmeExample(__dirname, '@mantissa/learner');
  const table = stdout.split('\n').filter((l) => l !== '');
  expect(table[0]).toBe('epoch     train_loss  valid_loss  accuracy  time    ');
  expect(table.slice(1).map((l) => l.slice(0, 2))).toEqual(['0 ', '1 ', '2 ']);
  expect(logs.map((args) => args[0])).toEqual([true, 2]);
});
