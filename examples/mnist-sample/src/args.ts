export interface ExampleArgs {
  device: string;
  precision: 'fp16' | 'bf16' | 'fp32';
}

/** `--device X` (or `--device=X`) and one of `--fp16`, `--bf16`, `--fp32`; anything else is refused. */
export function parseArgs(argv: readonly string[], defaultDevice: string): ExampleArgs {
  const out: ExampleArgs = { device: defaultDevice, precision: 'fp16' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    // `pnpm example -- --device cuda` hands the separator through: it separates nothing here.
    if (a === '--') continue;
    if (a === '--device' || a.startsWith('--device=')) {
      const v = a === '--device' ? argv[++i] : a.slice('--device='.length);
      if (v === undefined || !/^(cpu|cuda(:\d+)?)$/.test(v)) {
        throw new Error(`mnist-sample: --device expects cpu, cuda or cuda:N, got ${v ?? 'nothing'}`);
      }
      out.device = v;
    } else if (a === '--fp16' || a === '--bf16' || a === '--fp32') {
      out.precision = a.slice(2) as ExampleArgs['precision'];
    } else {
      throw new Error(`mnist-sample: unknown argument ${a} (expected --device X, --fp16, --bf16 or --fp32)`);
    }
  }
  return out;
}
