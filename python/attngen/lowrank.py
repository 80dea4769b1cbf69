"""Low-rank factors of a dense attention bias for the `bias = lowrank(R)` variants (FlashBias).

    qb, kb, info = attngen.fit_lowrank(table, energy=0.995)   # table [Nq, Nk] float32
    # qb [Nq, R], kb [Nk, R] float32 with qb @ kb.T ~ table; info["rank"] == R

A ctypes binding of attngen_fit_lowrank (runtime/include/attngen/attngen.h): a randomized
truncated SVD on the CPU, one thread. Column t of qb and kb is a singular vector times
sqrt(sigma_t), so both factors have the same scale (cast them to the kernel's bf16/fp16).
"""
import ctypes

from . import AttngenError, _library

__all__ = ["fit_lowrank"]


class _FitResult(ctypes.Structure):
    _fields_ = [("rank", ctypes.c_int), ("sketch_rank", ctypes.c_int),
                ("energy", ctypes.c_double), ("rel_frob_error", ctypes.c_double),
                ("max_abs_error", ctypes.c_double), ("error", ctypes.c_char * 512)]


def _fit_function():
    lib = _library()
    fn = lib.attngen_fit_lowrank
    if getattr(fn, "_attngen_bound", False):
        return fn
    p = ctypes.c_void_p
    fn.argtypes = [p, ctypes.c_int, ctypes.c_int, ctypes.c_double, ctypes.c_double, ctypes.c_int,
                   ctypes.c_int, p, p, p, ctypes.POINTER(_FitResult)]
    fn.restype = ctypes.c_int
    fn._attngen_bound = True
    return fn


def fit_lowrank(table, energy=None, error=None, rank=None, max_rank=256):
    """Factors (qb, kb) of a 2-D bias table with qb @ kb.T ~ table.

    Exactly one target (none: energy=0.995): `energy` in (0, 1], the captured fraction of
    ||table||_F^2; `error` in [0, 1), the relative Frobenius error; or a fixed `rank`. The
    smallest rank meeting the target, at most `max_rank`, is chosen. `table` is a numpy
    array or a torch tensor (any device; it is copied to the CPU as float32). Returns
    float32 qb [rows, R] and kb [cols, R] (torch tensors on the table's device when given
    torch) and info: rank, energy, rel_frob_error, max_abs_error (exact, from the float
    factors), singular (the leading singular values) and sketch_rank. Raises AttngenError
    when the target is out of range or not reached within max_rank (saying what was).
    """
    import numpy as np

    torch_device = None
    if type(table).__module__.split(".")[0] == "torch":
        torch_device = table.device
        table = table.detach().to("cpu").float().numpy()
    a = np.ascontiguousarray(table, dtype=np.float32)
    if a.ndim != 2:
        raise AttngenError(f"the bias table must be 2-D, got shape {a.shape}")
    if sum(x is not None for x in (energy, error, rank)) > 1:
        raise AttngenError("give one of energy, error and rank")
    if energy is None and error is None and rank is None:
        energy = 0.995
    rows, cols = a.shape
    if rows == 0 or cols == 0:
        raise AttngenError(f"the bias table is empty: {a.shape}")
    if int(max_rank) < 1:
        raise AttngenError(f"max_rank {max_rank} must be >= 1")
    cap = min(int(max_rank), rows, cols)
    if rank is not None and int(rank) > cap:
        raise AttngenError(f"rank {rank} exceeds min(max_rank, rows, cols) = {cap}")
    u = np.empty((rows, cap), dtype=np.float32)
    v = np.empty((cols, cap), dtype=np.float32)
    singular = np.zeros(cap, dtype=np.float64)
    res = _FitResult()
    rc = _fit_function()(a.ctypes.data, rows, cols,
                         -1.0 if energy is None else float(energy),
                         -1.0 if error is None else float(error),
                         0 if rank is None else int(rank), cap,
                         u.ctypes.data, v.ctypes.data, singular.ctypes.data, ctypes.byref(res))
    if rc != 0:
        raise AttngenError(res.error.decode())
    r = res.rank
    # The C side wrote [rows][r] and [cols][r] row-major into the front of each buffer.
    qb = u.reshape(-1)[:rows * r].reshape(rows, r).copy()
    kb = v.reshape(-1)[:cols * r].reshape(cols, r).copy()
    info = {"rank": r, "energy": res.energy, "rel_frob_error": res.rel_frob_error,
            "max_abs_error": res.max_abs_error, "singular": singular[:r].tolist(),
            "sketch_rank": res.sketch_rank}
    if torch_device is not None:
        import torch
        qb = torch.from_numpy(qb).to(torch_device)
        kb = torch.from_numpy(kb).to(torch_device)
    return qb, kb, info


def distance_factors(x, y, weight=1.0):
    """Exact factors of the squared-distance bias -weight * |x_i - y_j|^2 for coordinates
    x [..., Nq, d] and y [..., Nk, d] (numpy or torch): qb [..., Nq, d + 2] and kb [..., Nk,
    d + 2] with qb_i . kb_j equal to the bias (bias = lowrank(d + 2)); as
    attngen::ref::distanceFactors. The terms cancel to the distance, so in 16-bit factors the
    bias carries an absolute error of about weight * max|x|^2 * 2^-8 (bf16): center and scale
    the coordinates first."""
    if type(x).__module__.split(".")[0] == "torch":
        import torch
        cat, ones = torch.cat, lambda t: torch.ones_like(t[..., :1])
        x, y = x.float(), y.float()
    else:
        import numpy as np
        cat, ones = (lambda ts, dim: np.concatenate(ts, axis=dim)), (lambda t: np.ones_like(t[..., :1]))
        x, y = np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.float32)
    xn = (x * x).sum(-1, keepdims=True) if not hasattr(x, "dim") else (x * x).sum(-1, keepdim=True)
    yn = (y * y).sum(-1, keepdims=True) if not hasattr(y, "dim") else (y * y).sum(-1, keepdim=True)
    qb = cat([-weight * xn, -weight * ones(x), 2 * weight * x], -1)
    kb = cat([ones(y), yn, y], -1)
    return qb, kb
