// The packaging test: what a user gets from npm, checked outside the workspace.
//
//   node scripts/pack-test.mjs [--keep] [--from-source]
//
// 1. builds what is missing (turbo's cache makes this free after `pnpm test`) and the linux-x64 prebuild
//    of @mantissa/tensor when it is absent or older than the kernel sources;
// 2. `pnpm pack`s every public package and checks each tarball: no `workspace:` range left, internal
//    dependencies pinned to the workspace versions, every `exports`/`main`/`types` target present,
//    README and LICENSE, publint clean; @mantissa/tensor carries its kernel sources and the prebuild;
// 3. in empty folders under the OS temp dir (no workspace, no links), `npm install`s the tarballs with
//    the compiler disabled (CC/CXX=false: any compile fails the install) and runs, with only
//    `@mantissa/tensor` installed, exact float16 arithmetic from ESM and CJS plus a typecheck of both;
//    then, with only `mantissa` imported, a few fp16 training steps of simpleCnn on random data.
//
// Building from source outside the monorepo is checked up to node-gyp's configure step (binding.gyp
// finds the packed kernel sources); --from-source also compiles and runs it (about a minute more).
//
// Each check counts as one test; the counts go to .pack-test-results.json (read by .ci/run) and to the
// last line printed, "N passed, N failed".
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const keep = process.argv.includes('--keep');
const fromSource = process.argv.includes('--from-source');
const results = [];
const started = Date.now();
const seconds = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

function check(name, fn) {
  const t = Date.now();
  try {
    const detail = fn();
    results.push({ name, ok: true });
    console.log(`  ✓ ${name} (${seconds(t)})${detail ? `: ${detail}` : ''}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`  ✗ ${name} (${seconds(t)})\n${String(e?.stack ?? e).replace(/^/gm, '      ')}`);
  }
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  }
  return r.stdout;
}

function finish() {
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  writeFileSync(
    join(root, '.pack-test-results.json'),
    `${JSON.stringify({ numPassedTests: passed, numFailedTests: failed, checks: results }, null, 2)}\n`,
  );
  console.log(`pack test: ${seconds(started)}`);
  console.log(`packaging: ${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

// --- the packages --------------------------------------------------------------------------------
const packages = readdirSync(join(root, 'packages'))
  .map((d) => join(root, 'packages', d))
  .filter((d) => existsSync(join(d, 'package.json')))
  .map((dir) => ({ dir, json: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter((p) => !p.json.private);
const versions = Object.fromEntries(packages.map((p) => [p.json.name, p.json.version]));
const tensorDir = join(root, 'packages', 'tensor');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(join(e.parentPath ?? e.path, e.name)).mtimeMs);
  }
  return t;
}

console.log('pack test: build');
check('workspace builds (turbo)', () => {
  run('pnpm', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: root, stdio: 'inherit' });
});
check('linux-x64 prebuild of @mantissa/tensor (prebuildify)', () => {
  const dir = join(tensorDir, 'prebuilds', `${process.platform}-${process.arch}`);
  const existing = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.node')) : [];
  const sources = Math.max(
    newest(join(root, 'kernels')),
    newest(join(tensorDir, 'native')),
    newest(join(tensorDir, 'scripts')),
    statSync(join(tensorDir, 'binding.gyp')).mtimeMs,
  );
  if (existing.length === 1 && statSync(join(dir, existing[0])).mtimeMs > sources) return 'up to date';
  run('pnpm', ['run', 'build:prebuilds'], { cwd: tensorDir, stdio: 'inherit' });
  return readdirSync(dir).join(', ');
});
if (results.some((r) => !r.ok)) finish();

// --- pack and inspect ------------------------------------------------------------------------------
const work = mkdtempSync(join(tmpdir(), 'mantissa-pack-'));
const tarballs = {};
console.log(`pack test: pack ${packages.length} packages into ${work}`);
for (const { dir, json } of packages) {
  check(`pack ${json.name}`, () => {
    const out = run('pnpm', ['pack', '--pack-destination', join(work, 'tarballs')], { cwd: dir });
    const file = out
      .trim()
      .split('\n')
      .filter((l) => l.endsWith('.tgz'))
      .pop();
    if (!file || !existsSync(file)) throw new Error(`no tarball in pnpm pack's output:\n${out}`);
    tarballs[json.name] = file;
    const unpacked = join(work, 'unpacked', json.name);
    mkdirSync(unpacked, { recursive: true });
    execFileSync('tar', ['-xzf', file, '-C', unpacked]);
    const pkgDir = join(unpacked, 'package');
    const manifest = readFileSync(join(pkgDir, 'package.json'), 'utf8');
    const pkg = JSON.parse(manifest);
    if (manifest.includes('workspace:')) throw new Error(`a workspace: range survived packing:\n${manifest}`);
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [name, range] of Object.entries(pkg[field] ?? {})) {
        if (name in versions && range !== versions[name]) {
          throw new Error(`${field}.${name} is ${range}, expected the workspace version ${versions[name]}`);
        }
      }
    }
    const targets = [pkg.main, pkg.module, pkg.types];
    const walk = (v) => (typeof v === 'string' ? targets.push(v) : Object.values(v ?? {}).forEach(walk));
    walk(pkg.exports);
    for (const t of targets.filter(Boolean)) {
      if (!existsSync(join(pkgDir, t))) throw new Error(`${t} (named in package.json) is not in the tarball`);
    }
    for (const f of ['README.md', 'LICENSE']) {
      if (!existsSync(join(pkgDir, f))) throw new Error(`${f} is not in the tarball`);
    }
    const files = readdirSync(pkgDir, { recursive: true }).map(String);
    const stray = files.filter(
      (f) => /^(src|test|bench|node_modules|build)\//.test(f) || f.includes('.vitest'),
    );
    if (stray.length) throw new Error(`files that should not ship: ${stray.slice(0, 5).join(', ')}`);
    return `${files.length} files, ${(statSync(file).size / 1024).toFixed(0)} KiB`;
  });
}
check('@mantissa/tensor tarball is self-contained (kernel sources, prebuild)', () => {
  const pkgDir = join(work, 'unpacked', '@mantissa/tensor', 'package');
  for (const f of ['binding.gyp', 'native/binding.cc', 'kernels/ops.def', 'kernels/include/mantissa/abi.h']) {
    if (!existsSync(join(pkgDir, f))) throw new Error(`${f} missing`);
  }
  const cc = readdirSync(join(root, 'kernels', 'cpu')).filter((f) => f.endsWith('.cc'));
  const missing = cc.filter((f) => !existsSync(join(pkgDir, 'kernels', 'cpu', f)));
  if (missing.length) throw new Error(`kernel sources missing: ${missing.join(', ')}`);
  const prebuilds = readdirSync(join(pkgDir, 'prebuilds', `${process.platform}-${process.arch}`));
  // N-API: prebuildify tags no ABI, so node-gyp-build takes the one binary for every Node version.
  if (prebuilds.length !== 1 || /\.abi\d+\./.test(prebuilds[0]))
    throw new Error(`expected one N-API prebuild: ${prebuilds}`);
  if (existsSync(join(tensorDir, 'kernels'))) throw new Error('postpack left packages/tensor/kernels behind');
  return prebuilds.join(', ');
});
await checkAsync('publint: every tarball', async () => {
  const problems = [];
  for (const name of Object.keys(tarballs)) {
    const pkgDir = join(work, 'unpacked', name, 'package');
    const { messages } = await publint({ pkgDir, level: 'suggestion', strict: true, pack: false });
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    for (const m of messages) problems.push(`${name}: [${m.type}] ${formatMessage(m, pkg) ?? m.code}`);
  }
  if (problems.length) throw new Error(problems.join('\n'));
});
if (Object.keys(tarballs).length !== packages.length) finish();

async function checkAsync(name, fn) {
  const t = Date.now();
  try {
    const detail = await fn();
    results.push({ name, ok: true });
    console.log(`  ✓ ${name} (${seconds(t)})${detail ? `: ${detail}` : ''}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`  ✗ ${name} (${seconds(t)})\n${String(e?.stack ?? e).replace(/^/gm, '      ')}`);
  }
}

// --- install as a user would ------------------------------------------------------------------------
// No compiler: an install that tries to build the addon fails instead of quietly compiling.
const userEnv = { ...process.env, CC: 'false', CXX: 'false', npm_config_build_from_source: '' };
for (const k of Object.keys(userEnv)) if (k.startsWith('npm_') || k.startsWith('PNPM_')) delete userEnv[k];

function app(name, deps) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name, private: true, type: 'module' }, null, 2)}\n`,
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...deps], {
    cwd: dir,
    env: userEnv,
  });
  if (existsSync(join(dir, 'node_modules', '@mantissa', 'tensor', 'build'))) {
    throw new Error('the install compiled the addon (node_modules/@mantissa/tensor/build exists)');
  }
  if (readdirSync(join(dir, 'node_modules'), { recursive: true }).some((f) => String(f).endsWith('.pnpm'))) {
    throw new Error('workspace links in node_modules');
  }
  return dir;
}
const node = (dir, file, source) => {
  writeFileSync(join(dir, file), source);
  return run(process.execPath, [file], { cwd: dir, env: userEnv }).trim();
};

console.log('pack test: install and run @mantissa/tensor alone');
let tensorApp;
check('npm install @mantissa/tensor (tarball; prebuild, no compiler)', () => {
  tensorApp = app('tensor-app', [tarballs['@mantissa/tensor']]);
  const installed = readdirSync(join(tensorApp, 'node_modules', '@mantissa'));
  if (installed.join() !== 'tensor') throw new Error(`installed @mantissa/${installed.join(', @mantissa/')}`);
});
// 1 + 2^-11 is a tie between 1 and 1 + 2^-10: float16 rounds it to even (1); 65520 overflows to inf.
const tensorScript = (imp) => `${imp}
const a = tensor([1, 1, 65504, 0.1]).half();
const b = tensor([2 ** -11, 3 * 2 ** -11, 16, 0]).half();
const sum = a.add(b);
const got = Array.from(sum.toArray());
const want = [1, 1 + 2 ** -9, Infinity, 0.0999755859375];
if (sum.dtype !== 'float16' || JSON.stringify(got) !== JSON.stringify(want)) {
  throw new Error('float16 add: got ' + JSON.stringify(got) + ' (' + sum.dtype + '), want ' + JSON.stringify(want));
}
console.log(Array.from(sum.bits()).map((b) => b.toString(16)).join(' '));
`;
check('@mantissa/tensor from ESM: exact float16 arithmetic', () => {
  return node(tensorApp, 'tensor.mjs', tensorScript("import { tensor } from '@mantissa/tensor';"));
});
check('@mantissa/tensor from CommonJS', () => {
  return node(tensorApp, 'tensor.cjs', tensorScript("const { tensor } = require('@mantissa/tensor');"));
});
check('@mantissa/tensor types resolve from ESM and CJS (tsc, node16 resolution)', () => {
  writeFileSync(
    join(tensorApp, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'node16',
        moduleResolution: 'node16',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      include: ['*.mts', '*.cts'],
    }),
  );
  const use =
    "const t = tensor([1, 2]).half();\nconst d: 'float16' | 'bfloat16' | 'float32' | 'float64' | 'int32' | 'bool' = t.dtype;\nexport const n: number = t.numel + d.length;\n";
  writeFileSync(join(tensorApp, 'check.mts'), `import { tensor } from '@mantissa/tensor';\n${use}`);
  writeFileSync(
    join(tensorApp, 'check.cts'),
    `import { tensor } from '@mantissa/tensor'; // compiled to require()\n${use}`,
  );
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
    cwd: tensorApp,
  });
});

check('@mantissa/tensor source build configures outside the monorepo (node-gyp configure)', () => {
  const pkgDir = join(tensorApp, 'node_modules', '@mantissa', 'tensor');
  const gyp = join(root, 'packages', 'tensor', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const nodedir = dirname(dirname(process.execPath));
  run(process.execPath, [gyp, 'configure', `--nodedir=${nodedir}`], { cwd: pkgDir, env: userEnv });
  const makefile = readFileSync(join(pkgDir, 'build', 'mantissa.target.mk'), 'utf8');
  const objects = makefile.match(/\$\(obj\)\.target\/\$\(TARGET\)\/kernels\/cpu\/\w+\.o/g) ?? [];
  const cc = readdirSync(join(pkgDir, 'kernels', 'cpu')).filter((f) => f.endsWith('.cc'));
  rmSync(join(pkgDir, 'build'), { recursive: true, force: true });
  if (objects.length !== cc.length)
    throw new Error(`${objects.length} kernel objects for ${cc.length} kernel sources`);
  if (!makefile.includes('-I$(srcdir)/kernels/include'))
    throw new Error('kernels/include is not on the include path');
  // A path that climbs out of the package (the monorepo's ../../kernels) does not exist for a user.
  const outside = makefile.match(/[^\s]*\.\.\/[^\s]*kernels[^\s]*/g);
  if (outside)
    throw new Error(`the build refers to files outside the package: ${outside.slice(0, 3).join(' ')}`);
  return `${objects.length} kernel sources from the packed kernels/`;
});
if (fromSource) {
  check('@mantissa/tensor built from source outside the monorepo (npm_config_build_from_source)', () => {
    const dir = join(work, 'source-app');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"name":"source-app","private":true,"type":"module"}\n');
    const env = { ...userEnv, npm_config_build_from_source: 'true' };
    delete env.CC;
    delete env.CXX;
    run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
        tarballs['@mantissa/tensor'],
      ],
      { cwd: dir, env },
    );
    if (!existsSync(join(dir, 'node_modules', '@mantissa', 'tensor', 'build', 'Release', 'mantissa.node'))) {
      throw new Error('no build/Release/mantissa.node after a source install');
    }
    return node(dir, 'tensor.mjs', tensorScript("import { tensor } from '@mantissa/tensor';"));
  });
}

console.log('pack test: install every tarball, train through `mantissa`');
let stackApp;
check('npm install mantissa and its @mantissa/* tarballs (no compiler)', () => {
  stackApp = app('stack-app', Object.values(tarballs));
});
check('mantissa: fp16 training steps of simpleCnn on random data', () => {
  return node(
    stackApp,
    'train.mjs',
    `import { DataBunch, Learner, manualSeed, randn, rand, simpleCnn, TensorDataset } from 'mantissa';

manualSeed(0);
const set = (n) => new TensorDataset(randn([n, 3, 16, 16]), rand([n]).gt(0.5).int());
const data = DataBunch.create(set(64), set(32), { bs: 16, seed: 0 });
const learn = new Learner(data, simpleCnn([3, 8, 8, 2]), { silent: true }).toFp16();
await learn.fit(1, 1e-3);
const mp = learn.callbacks.find((c) => c.scaler !== undefined);
const weight = learn.model.parameters()[0];
const losses = learn.recorder.losses;
const [valid] = learn.validate();
if (weight.dtype !== 'float16') throw new Error('model is ' + weight.dtype + ' after toFp16()');
if (losses.length !== 4 || !losses.every(Number.isFinite) || !Number.isFinite(valid)) {
  throw new Error('losses ' + JSON.stringify(losses) + ', valid ' + valid);
}
console.log('4 steps, train loss ' + losses.at(-1).toFixed(4) + ', valid loss ' + valid.toFixed(4) +
  ', loss scale ' + mp.scaler.scale + ', skipped ' + mp.scaler.skipped);
`,
  );
});
check('mantissa from CommonJS, and its types from ESM and CJS (tsc)', () => {
  const cjs = node(
    stackApp,
    'names.cjs',
    "const m = require('mantissa');\nconsole.log(['Learner', 'simpleCnn', 'tensor', 'backward', 'SGD', 'DataBunch'].filter((k) => typeof m[k] !== 'function').join(' '));\n",
  );
  if (cjs !== '') throw new Error(`missing from require('mantissa'): ${cjs}`);
  writeFileSync(
    join(stackApp, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'node16',
        moduleResolution: 'node16',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      include: ['*.mts', '*.cts'],
    }),
  );
  const use = `const data = DataBunch.create(new TensorDataset(randn([8, 3, 16, 16]), zeros([8]).int()), new TensorDataset(randn([4, 3, 16, 16]), zeros([4]).int()), { bs: 4 });
export const learn: Learner = new Learner(data, simpleCnn([3, 8, 2]), { silent: true }).toFp16({ dtype: 'bfloat16' });
`;
  const names = '{ DataBunch, Learner, randn, simpleCnn, TensorDataset, zeros }';
  writeFileSync(join(stackApp, 'check.mts'), `import ${names} from 'mantissa';\n${use}`);
  writeFileSync(join(stackApp, 'check.cts'), `import ${names} from 'mantissa';\n${use}`);
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
    cwd: stackApp,
  });
});

if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${relative(process.cwd(), work) || work}`);
finish();
