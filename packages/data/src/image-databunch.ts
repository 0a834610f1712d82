import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import { ArgumentError, type Device } from '@mantissa/tensor';
import type { Batch, BatchTransform } from './batch';
import { createLoaders, DataBunch } from './databunch';
import { DataError, reason } from './errors';
import { ImageDataset } from './image-dataset';

/** The extensions Python's `mimetypes` maps to `image/*`: what fastai's `get_image_files` lists. */
const IMAGE_EXTENSIONS = new Set(
  '.avif .bmp .gif .heic .heif .ico .ief .jpe .jpeg .jpg .pbm .pgm .png .pnm .ppm .ras .rgb .svg .tif .tiff .webp .xbm .xpm .xwd'.split(
    ' ',
  ),
);

export interface FromFolderOptions {
  /** Batch size (default 64). */
  bs?: number;
  /** Validation batch size (default bs). */
  valBs?: number;
  /** Seeds the training loader's shuffle (default: the tensor package's global generator). */
  seed?: number;
  /** The training and validation folders under path (default 'train' and 'valid'). */
  train?: string;
  valid?: string;
  /** Class names in index order (default: the training labels, sorted). */
  classes?: readonly string[];
  /** Batch transforms for both loaders. */
  transforms?: readonly BatchTransform[];
  /** Where the batches go (default `defaults.device`). */
  device?: Device;
}

/** A DataBunch of labelled images (fastai's `ImageDataBunch`). */
export class ImageDataBunch extends DataBunch<Batch> {
  /**
   * Images under `path/train` and `path/valid`, labelled by their parent folder's name, as fastai v1's
   * `ImageDataBunch.from_folder(path)`: no transforms, no resize, no normalisation; x is float32
   * [bs, 3, H, W] in [0, 1] (grey replicated to 3 channels), y the int32 class index; the training
   * loader is shuffled and drops its last partial batch, the validation loader is neither.
   *
   * Files are listed in sorted order (fastai keeps the filesystem's order, which varies between
   * machines; sorting makes a seeded shuffle reproducible everywhere). Hidden files and folders are
   * skipped; images outside the two folders are ignored; validation images whose label is not a
   * training class are dropped with a warning, as fastai does. Only PNG can be decoded.
   */
  static async fromFolder(path: string, options: FromFolderOptions = {}): Promise<ImageDataBunch> {
    const op = 'ImageDataBunch.fromFolder';
    if (typeof path !== 'string' || path === '') throw new ArgumentError(op, 'path', 'a folder path', path);
    if (typeof options !== 'object' || options === null)
      throw new ArgumentError(op, 'options', 'an object', options);
    const {
      bs = 64,
      valBs = bs,
      seed,
      train = 'train',
      valid = 'valid',
      classes,
      transforms,
      device,
    } = options;
    const root = resolve(path);
    const st = await stat(root).catch(() => null);
    if (st === null || !st.isDirectory()) {
      throw new DataError(op, `${root} is not a folder`, { file: root });
    }
    const files = (await listImages(root, op)).sort();
    const nonPng = files.find((f) => extname(f).toLowerCase() !== '.png');
    if (nonPng !== undefined) {
      throw new DataError(op, `${nonPng} is not a PNG: only PNG images can be decoded`, { file: nonPng });
    }
    const split = (folder: string): { items: string[]; labels: string[] } => {
      const items = files.filter((f) => relative(root, f).split(sep)[0] === folder);
      return { items, labels: items.map((f) => f.split(sep).at(-2)!) };
    };
    const tr = split(train);
    const va = split(valid);
    if (tr.items.length === 0)
      throw new DataError(op, `no images in ${join(root, train)}`, { file: join(root, train) });
    const names = classes ?? [...new Set(tr.labels)].sort();
    const index = new Map(names.map((c, i) => [c, i]));
    const unknownTrain = tr.labels.findIndex((l) => !index.has(l));
    if (unknownTrain >= 0) {
      throw new DataError(
        op,
        `${tr.items[unknownTrain]} has label '${tr.labels[unknownTrain]}', which is not in classes`,
        {
          file: tr.items[unknownTrain],
        },
      );
    }
    const keep = va.labels.map((l) => index.has(l));
    const dropped = [...new Set(va.labels.filter((_, i) => !keep[i]))];
    if (dropped.length > 0) {
      process.emitWarning(
        `${op}: the validation set has labels that are not training classes (${dropped.join(', ')}); ` +
          'those images were discarded',
      );
    }
    const trainDs = new ImageDataset(
      tr.items,
      tr.labels.map((l) => index.get(l)!),
      names,
    );
    const validItems = va.items.filter((_, i) => keep[i]);
    const validDs = new ImageDataset(
      validItems,
      va.labels.filter((_, i) => keep[i]).map((l) => index.get(l)!),
      names,
    );
    const [trainDl, validDl, rest] = createLoaders<Batch>(trainDs, validDs, {
      bs,
      valBs,
      seed,
      transforms,
      path: root,
      ...(device === undefined ? {} : { device }),
    });
    return new ImageDataBunch(trainDl, validDl, rest);
  }
}

async function listImages(dir: string, op: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new DataError(op, `cannot list ${dir}: ${reason(e)}`, { file: dir, cause: e });
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listImages(full, op)));
    else if ((e.isFile() || e.isSymbolicLink()) && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
      out.push(full);
  }
  return out;
}
