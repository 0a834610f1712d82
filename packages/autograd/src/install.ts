import { setOpHook } from '@mantissa/tensor';
import { recordHook } from './record';
import './tensor-members';
import './gradients/index';

// Importing the package is what turns recording on: the tensor package itself knows no gradients.
setOpHook(recordHook);
