// The thread pool's hand-offs: workers poll briefly after a job, then sleep; the caller polls for the
// result, then sleeps. Every path (polling worker, sleeping worker woken, pool resized between jobs,
// many back-to-back jobs) must run each chunk exactly once, which the products' bits show: a chunk run
// twice or not at all leaves garbage or zeros in its rows.
import { afterAll, describe, expect, it } from 'vitest';
import { backendInfo, matmul, setNumThreads, tensor, tidy } from '../src/index';

const initialThreads = backendInfo().threads;
afterAll(() => setNumThreads(initialThreads));

// 160 x 160 x 160 is a few MFLOP: above the GEMM's threshold for splitting across threads.
const n = 160;
const a = tensor(
  Array.from({ length: n * n }, (_, i) => ((i * 7919) % 97) / 16 - 3),
  { dtype: 'float32' },
).reshape([n, n]);
const b = tensor(
  Array.from({ length: n * n }, (_, i) => ((i * 104729) % 89) / 8 - 5),
  { dtype: 'float32' },
).reshape([n, n]);
const product = () => tidy(() => Array.from(matmul(a, b).data()));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('thread pool', () => {
  setNumThreads(1);
  const expected = product();
  setNumThreads(initialThreads);

  it('runs many back-to-back jobs on polling workers', () => {
    for (const threads of [2, 3, 4]) {
      setNumThreads(threads);
      for (let i = 0; i < 50; i++) expect(product()).toEqual(expected);
    }
  });

  it('wakes workers that went to sleep between jobs', async () => {
    for (const threads of [2, 4]) {
      setNumThreads(threads);
      for (let i = 0; i < 5; i++) {
        await sleep(3); // well past the polling window: the workers are asleep
        expect(product()).toEqual(expected);
      }
    }
  });

  it('survives resizing between every job', () => {
    for (let i = 0; i < 24; i++) {
      setNumThreads(1 + (i % 4));
      expect(product()).toEqual(expected);
    }
  });
});
