/* Scalar stamp of kern_body.h: the reference path (VW = 1), compiled for the
 * x86-64 baseline so no FMA contraction changes its rounding. */
#include "kernels.h"

typedef float V;
#define VW 1
#define MR 4
#define NRV 4
#define KFN(name) lt__##name##_scalar
#define LT_ISA_NAME "scalar"
#define V_LOAD(p) (*(p))
#define V_STORE(p, v) (*(p) = (v))
#define V_SET1(x) ((float)(x))
#define V_ZERO() 0.0f
#define V_ADD(a, b) ((a) + (b))
#define V_SUB(a, b) ((a) - (b))
#define V_MUL(a, b) ((a) * (b))
#define V_FMA(a, b, c) ((a) * (b) + (c))
#define V_MAX(a, b) fmaxf(a, b)
#define V_MIN(a, b) fminf(a, b)
#define V_ABS(a) fabsf(a)
#define V_HSUM(v) (v)
#define V_HSUM8(v, out) do { for (int hj_ = 0; hj_ < 8; hj_++) (out)[hj_] = (v)[hj_]; } while (0)
#define V_HMAX(v) (v)
#define V_LE_MASK(a, b) ((unsigned long long)((a) <= (b)))
#define V_ROUND(v) rintf(v)
#define V_LDEXP(p, n) ldexpf(p, (int)(n))

#include "kern_body.h"
