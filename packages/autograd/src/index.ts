import './install';

export { backward, zeroGrad } from './api';
export { AutogradError, GradcheckError } from './errors';
export { enableGrad, isGradEnabled, noGrad } from './grad-mode';
export { type GradcheckOptions, gradcheck } from './gradcheck';
export type { GradHook } from './meta';
export { GradNode } from './node';
export { type GradFormula, getGradient, NON_DIFFERENTIABLE, registerGradient } from './registry';
