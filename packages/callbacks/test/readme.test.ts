import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../test-utils/readme-example';
import { parseXml } from './xml';

it('the README example trains, prints the table and writes the plot', async () => {
  const { logs, stdout } = await runReadmeExample(__dirname, '@mantissa/callbacks');
  const lines = stdout.split('\n');
  expect(lines[0]).toBe('epoch     train_loss  valid_loss  accuracy  time    ');
  for (let e = 0; e < 3; e++) {
    expect(lines[e + 1]).toMatch(
      new RegExp(`^${e}         \\d\\.\\d{6}    \\d\\.\\d{6}    \\d\\.\\d{6}  \\d\\d:\\d\\d     $`),
    );
  }
  // it learns: the last epoch's validation loss is below the first one's
  const valid = lines.slice(1, 4).map((l) => Number(l.split(/\s+/)[2]));
  expect(valid[2]!).toBeLessThan(valid[0]!);
  expect(logs[0]).toEqual([24, 0.004, 0.1]);
  expect(parseXml(readFileSync('/tmp/mantissa-losses.svg', 'utf8')).findAll('polyline')).toHaveLength(2);
});
