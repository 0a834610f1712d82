// One file per op family; each registers its formulas by the op names the tensor package records.
import './binary';
import './batch-norm';
import './cast';
import './conv2d';
import './cross-entropy';
import './dropout';
import './inplace';
import './matmul';
import './pool';
import './reduce';
import './softmax';
import './unary';
import './views';
import './where';
