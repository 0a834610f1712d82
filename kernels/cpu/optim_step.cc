// Fused optimizer updates: one pass over a parameter, its gradient and its state instead of the chain
// of six to eight elementwise ops PyTorch's single-tensor optimizers run. The arithmetic follows
// torch.optim (1.13, single-tensor path) term for term, in the compute type (float for half and
// float32, double for float64); each stored value is rounded once. Scalars derived from the step
// count (bias corrections, step size) are computed in double, as PyTorch does in Python. For half state
// the update uses the moments before they are rounded for storage, as a GPU's fused optimizer does
// (torch's CUDA _fused_adam): a fp16 exp_avg_sq that underflows to 0 must not blow up this step.
//
// sgd_step(param, grad, [momentum_buf]) attrs [lr, momentum, dampening, weight_decay, nesterov,
//   buf_is_new, decoupled_wd, maximize]:
//   decoupled_wd: param *= 1 - lr * weight_decay first (fastai's true weight decay), no L2 term;
//   otherwise d = grad + weight_decay * param. With momentum: buf = d on the first step (buf_is_new),
//   else buf = momentum * buf + (1 - dampening) * d; d = nesterov ? d + momentum * buf : buf.
//   param -= lr * d.
// adam_step(param, grad, exp_avg, exp_avg_sq) attrs [lr, beta1, beta2, eps, weight_decay, step,
//   decoupled_wd, maximize]: AdamW when decoupled_wd, Adam with an L2 term otherwise;
//   m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g²;
//   param -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps).
// The state tensors have the parameter's dtype or float32 (fp32 moments for a half parameter).
#include <cmath>

#include "optim_args.h"
#include "strided.h"

extern "C" mt_status mt_k_sgd_step(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                   mt_error* err) {
  using namespace mt;
  const char* op = "sgd_step";
  if (nargs != 2 && nargs != 3)
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: expected 2 or 3 tensors, got %d", op, int(nargs));
  MT_TRY(check_attrs(err, op, nattrs, 8));
  const double lr = attrs[0], momentum = attrs[1], dampening = attrs[2], wd = attrs[3];
  const bool nesterov = attrs[4] != 0, buf_is_new = attrs[5] != 0, decoupled = attrs[6] != 0,
             maximize = attrs[7] != 0;
  MT_TRY(check_hyper(err, op, "lr", lr, 0, INFINITY));
  MT_TRY(check_hyper(err, op, "momentum", momentum, 0, INFINITY));
  MT_TRY(check_hyper(err, op, "dampening", dampening, -INFINITY, INFINITY));
  MT_TRY(check_hyper(err, op, "weight_decay", wd, 0, INFINITY));
  const mt_tensor &p = args[0], &g = args[1];
  MT_TRY(check_param_and_grad(err, op, p, g));
  const bool has_buf = nargs == 3;
  if (has_buf) MT_TRY(check_state(err, op, "momentum_buf", args[2], p));
  if (momentum != 0 && !has_buf)
    return fail(err, MT_ERR_INVALID_ARGUMENT, "%s: momentum %g needs a momentum buffer", op, momentum);
  const int32_t state_dtype = has_buf ? args[2].dtype : p.dtype;
  dispatch_param_state(p.dtype, state_dtype, [&](auto ptag, auto stag) {
    using T = decltype(ptag);
    using S = decltype(stag);
    using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
    const A a_lr = A(lr), a_mom = A(momentum), a_keep = A(1 - dampening), a_wd = A(wd);
    const A decay = A(1 - lr * wd);
    mt_tensor* ts[3] = {&args[0], &args[1], has_buf ? &args[2] : &args[0]};
    const int64_t sizes[3] = {int64_t(sizeof(T)), int64_t(sizeof(T)), int64_t(has_buf ? sizeof(S) : sizeof(T))};
    Rows<3>(ts, sizes).run([&](char** ptr, const int64_t* st, int64_t n) {
      for (int64_t k = 0; k < n; ++k) {
        T* pp = reinterpret_cast<T*>(ptr[0] + k * st[0]);
        A w = load(*pp);
        A d = load(*reinterpret_cast<const T*>(ptr[1] + k * st[1]));
        if (maximize) d = -d;
        if (decoupled) w = w * decay;
        else if (wd != 0) d = d + a_wd * w;
        if (momentum != 0) {
          S* bp = reinterpret_cast<S*>(ptr[2] + k * st[2]);
          const A buf = buf_is_new ? d : A(load(*bp)) * a_mom + a_keep * d;
          *bp = store<S>(buf);
          d = nesterov ? d + a_mom * buf : buf;
        }
        *pp = store<T>(w - a_lr * d);
      }
    });
  });
  return MT_OK;
}

extern "C" mt_status mt_k_adam_step(mt_tensor* args, int32_t, const double* attrs, int32_t nattrs,
                                    mt_error* err) {
  using namespace mt;
  const char* op = "adam_step";
  MT_TRY(check_attrs(err, op, nattrs, 8));
  const double lr = attrs[0], beta1 = attrs[1], beta2 = attrs[2], eps = attrs[3], wd = attrs[4];
  const bool decoupled = attrs[6] != 0, maximize = attrs[7] != 0;
  MT_TRY(check_hyper(err, op, "lr", lr, 0, INFINITY));
  MT_TRY(check_hyper(err, op, "beta1", beta1, 0, 1 - 0x1p-53));
  MT_TRY(check_hyper(err, op, "beta2", beta2, 0, 1 - 0x1p-53));
  MT_TRY(check_hyper(err, op, "eps", eps, 0, INFINITY));
  MT_TRY(check_hyper(err, op, "weight_decay", wd, 0, INFINITY));
  MT_TRY(check_int_attr(err, op, "step", attrs[5], 1, 0x1p53));
  const mt_tensor &p = args[0], &g = args[1], &m = args[2], &v = args[3];
  MT_TRY(check_param_and_grad(err, op, p, g));
  MT_TRY(check_state(err, op, "exp_avg", m, p));
  MT_TRY(check_state(err, op, "exp_avg_sq", v, p));
  if (m.dtype != v.dtype) return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "%s: exp_avg and exp_avg_sq dtypes differ", op);
  const double step = attrs[5];
  const double step_size = lr / (1 - std::pow(beta1, step));
  const double bc2_sqrt = std::sqrt(1 - std::pow(beta2, step));
  dispatch_param_state(p.dtype, m.dtype, [&](auto ptag, auto stag) {
    using T = decltype(ptag);
    using S = decltype(stag);
    using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
    const A b1 = A(beta1), b2 = A(beta2), one_b1 = A(1 - beta1), one_b2 = A(1 - beta2), a_eps = A(eps);
    const A a_wd = A(wd), decay = A(1 - lr * wd), neg_step = A(-step_size), a_bc2 = A(bc2_sqrt);
    mt_tensor* ts[4] = {&args[0], &args[1], &args[2], &args[3]};
    const int64_t sizes[4] = {int64_t(sizeof(T)), int64_t(sizeof(T)), int64_t(sizeof(S)), int64_t(sizeof(S))};
    Rows<4>(ts, sizes).run([&](char** ptr, const int64_t* st, int64_t n) {
      for (int64_t k = 0; k < n; ++k) {
        T* pp = reinterpret_cast<T*>(ptr[0] + k * st[0]);
        S* mp = reinterpret_cast<S*>(ptr[2] + k * st[2]);
        S* vp = reinterpret_cast<S*>(ptr[3] + k * st[3]);
        A w = load(*pp);
        A gr = load(*reinterpret_cast<const T*>(ptr[1] + k * st[1]));
        if (maximize) gr = -gr;
        if (decoupled) w = w * decay;
        else if (wd != 0) gr = gr + a_wd * w;
        const A mv = A(load(*mp)) * b1 + one_b1 * gr;
        const A vv = A(load(*vp)) * b2 + one_b2 * (gr * gr);
        *mp = store<S>(mv);
        *vp = store<S>(vv);
        const A denom = std::sqrt(vv) / a_bc2 + a_eps;
        *pp = store<T>(w + neg_step * (mv / denom));
      }
    });
  });
  return MT_OK;
}
