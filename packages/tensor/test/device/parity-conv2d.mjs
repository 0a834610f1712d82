// conv2d parity (called from runParity in parity.mjs): the forward with and without bias, and the two
// gradients through the public ops (conv2dBackwardInput, conv2dBackwardWeight), on the cpu and on the
// device, compared within a tolerance (the GEMMs sum in different orders; half outputs may round to
// the neighbouring value). Geometries: stride 1-3, padding, dilation, groups (depthwise included),
// 1x1 (read in place and through im2col), non-square, one output position, batch 1, an empty batch,
// no input or output channels; permuted (NHWC, transposed) views of x, the weight and the output
// gradient; and a batch larger than one chunk of the device workspace (256 MiB: the im2col matrix of
// one image there is ~110 MiB).
// Bad kernel calls (through runKernel, past the op layer's checks) must fail with the CPU's message.

const TOL = { float64: 'rtol:1e-12', float32: 'rtol:1e-4', float16: 'rtol:2e-3', bfloat16: 'rtol:1e-2' };

const ID = [0, 1, 2, 3];
const NHWC = [0, 2, 3, 1];
const SPATIAL_T = [0, 1, 3, 2];

// [name, [n, c, h, w], [co, kh, kw], options, bias, x perm, w perm, gy perm]
const CASES = [
  ['3x3 pad 1', [2, 4, 7, 9], [6, 3, 3], { padding: 1 }, true, ID, ID, ID],
  ['3x3 pad 1 no bias, batch 1', [1, 4, 7, 9], [6, 3, 3], { padding: 1 }, false, ID, ID, ID],
  [
    '3x2 stride 2x3 dilation 1x2 groups 2, nhwc x, transposed gy',
    [3, 6, 11, 8],
    [4, 3, 2],
    { stride: [2, 3], padding: [1, 2], dilation: [1, 2], groups: 2 },
    true,
    NHWC,
    ID,
    SPATIAL_T,
  ],
  ['1x1 nhwc x, strided weight', [3, 8, 5, 6], [8, 1, 1], {}, true, NHWC, [1, 0, 2, 3], ID],
  ['1x1 transposed x', [2, 4, 5, 6], [8, 1, 1], {}, false, SPATIAL_T, ID, ID],
  ['1x1 stride 2', [2, 3, 9, 9], [5, 1, 1], { stride: 2 }, true, ID, ID, ID],
  [
    '5x3 stride 3 dilation 2 depthwise',
    [2, 6, 14, 11],
    [6, 5, 3],
    { stride: 3, padding: 2, dilation: 2, groups: 6 },
    true,
    [1, 0, 2, 3],
    ID,
    ID,
  ],
  [
    '3x3 groups 4 dilation 2x1, channels-last weight',
    [4, 8, 10, 9],
    [16, 3, 3],
    { padding: 1, dilation: [2, 1], groups: 4 },
    true,
    ID,
    NHWC,
    SPATIAL_T,
  ],
  ['7x7 stride 2 pad 3 (a stem)', [2, 3, 32, 32], [8, 7, 7], { stride: 2, padding: 3 }, false, NHWC, ID, ID],
  ['kernel = input', [2, 3, 5, 5], [4, 5, 5], {}, true, ID, ID, ID],
  [
    'non-square 2x4 stride 1x2 pad 0x3',
    [2, 2, 3, 10],
    [3, 2, 4],
    { stride: [1, 2], padding: [0, 3] },
    true,
    ID,
    ID,
    ID,
  ],
  ['empty batch', [0, 2, 4, 4], [3, 3, 3], { padding: 1 }, true, ID, ID, ID],
  ['no input channels', [2, 0, 4, 4], [3, 3, 3], { padding: 1 }, true, ID, ID, ID],
  ['no output channels', [2, 2, 4, 4], [0, 3, 3], { padding: 1 }, false, ID, ID, ID],
];

function outSize(size, k, stride, pad, dil) {
  return Math.floor((size + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
}

const pair = (v, d) => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);

export function conv2dChecks(mt, check, { src, randomValues, FLOATS }) {
  // `values` laid out in storage order (storage axis j is logical axis perm[j]), seen as the logical shape.
  const view = (dtype, d, values, logical, perm) => {
    const inverse = [0, 1, 2, 3].map((a) => perm.indexOf(a));
    return src(
      dtype,
      d,
      values,
      perm.map((a) => logical[a]),
    ).permute(inverse);
  };
  const run = (dtype, d, [n, c, h, w], [co, kh, kw], options, bias, perms, seed) => {
    const groups = options.groups ?? 1;
    const [sh, sw] = pair(options.stride, 1);
    const [ph, pw] = pair(options.padding, 0);
    const [dh, dw] = pair(options.dilation, 1);
    const yShape = [n, co, outSize(h, kh, sh, ph, dh), outSize(w, kw, sw, pw, dw)];
    const wShape = [co, c / groups, kh, kw];
    const count = (s) => s.reduce((a, b) => a * b, 1);
    const x = view(dtype, d, randomValues(count([n, c, h, w]), seed, 1), [n, c, h, w], perms[0]);
    const weight = view(dtype, d, randomValues(count(wShape), seed + 1, 1), wShape, perms[1]);
    const gy = view(dtype, d, randomValues(count(yShape), seed + 2, 1), yShape, perms[2]);
    const b = bias ? src(dtype, d, randomValues(co, seed + 3, 1), [co]) : null;
    const y = mt.conv2d(x, weight, b, options);
    const dx = mt.conv2dBackwardInput(gy, weight, x.shape, options);
    const dwt = mt.conv2dBackwardWeight(gy, x, wShape, options);
    for (const t of [x, weight, gy, b]) t?.dispose();
    return [y, dx, dwt];
  };
  for (const dtype of FLOATS)
    for (const [ci, [name, xs, ws, options, bias, ...perms]] of CASES.entries())
      check(`conv2d ${dtype} ${name}`, TOL[dtype], (d) =>
        run(dtype, d, xs, ws, options, bias, perms, 211 + 5 * ci),
      );
  // Three images whose im2col matrices (576 rows x 48400 columns, float32) do not fit the workspace
  // together: chunks of two images and one.
  check('conv2d float32 batch larger than a workspace chunk', 'rtol:1e-3', (d) =>
    run('float32', d, [3, 64, 220, 220], [8, 3, 3], { padding: 1 }, true, [ID, ID, ID], 307),
  );
  // The error of a bad call, as char codes (compared bit for bit).
  const errorOf = (fn) => {
    let text = 'no error';
    try {
      fn();
    } catch (e) {
      text = `${e.name}: ${e.message}`;
    }
    return mt.tensor(
      Array.from(text, (ch) => ch.charCodeAt(0)),
      { dtype: 'int32' },
    );
  };
  const ATTRS = [1, 1, 1, 1, 1, 1, 1];
  const BAD = [
    ['stride 0', 'conv2d', ['x', 'w', 'y'], [0, 1, 1, 1, 1, 1, 1]],
    ['6 attrs', 'conv2d', ['x', 'w', 'y'], [1, 1, 1, 1, 1, 1]],
    ['groups 3 of 4 channels', 'conv2d', ['x', 'w', 'y'], [1, 1, 1, 1, 1, 1, 3]],
    ['wrong output shape', 'conv2d', ['x', 'w', 'ySmall'], ATTRS],
    ['bias of the wrong size', 'conv2d', ['x', 'w', 'x1', 'y'], ATTRS],
    ['mixed dtypes', 'conv2d', ['x', 'wHalf', 'y'], ATTRS],
    ['transposed output', 'conv2d', ['x', 'w', 'yT'], ATTRS],
    ['backward input, 2 tensors', 'conv2d_backward_input', ['y', 'w'], ATTRS],
    ['backward input, transposed dx', 'conv2d_backward_input', ['y', 'w', 'xT'], ATTRS],
    ['backward weight, transposed dw', 'conv2d_backward_weight', ['y', 'x', 'wT'], ATTRS],
  ];
  for (const [name, kernel, args, attrs] of BAD)
    check(`conv2d error: ${name}`, 'bits', (d) => {
      const f32 = { dtype: 'float32', device: d };
      const make = {
        x: () => mt.zeros([2, 4, 5, 5], f32),
        x1: () => mt.zeros([5], f32),
        xT: () => mt.zeros([2, 4, 5, 5], f32).transpose(2, 3),
        w: () => mt.zeros([6, 4, 3, 3], f32),
        wHalf: () => mt.zeros([6, 4, 3, 3], { dtype: 'float16', device: d }),
        wT: () => mt.zeros([6, 4, 3, 3], f32).transpose(2, 3),
        y: () => mt.zeros([2, 6, 5, 5], f32),
        ySmall: () => mt.zeros([2, 6, 4, 4], f32),
        yT: () => mt.zeros([2, 6, 5, 5], f32).transpose(2, 3),
      };
      const tensors = args.map((a) => make[a]());
      const result = errorOf(() => mt.runKernel(kernel, tensors, attrs));
      for (const t of tensors) t.dispose();
      return result;
    });
}
