"""attngen for PyTorch: generated quantized-attention kernels on torch tensors.

A thin ctypes binding over the C API (runtime/include/attngen/attngen.h). Kernels run on
the caller's tensors and torch's current CUDA stream, in torch's (primary) CUDA context.

    import attngen, torch
    kern = attngen.compile(open("examples/default.attn").read())   # full build (MLIR)
    kern = attngen.load_package("pkg/default")                      # any build
    o = kern(q, k, v)          # q [B, Hq, N, D], k/v [B, Hkv, N, D] (bhnd variants)

The library is found at $ATTNGEN_LIB, else build*/lib/libattngen.so of this checkout.
"""
import ctypes
import glob
import json
import os
from collections import namedtuple

__all__ = ["compile", "load_package", "list_packages", "Kernel", "AttngenError", "version", "stats"]


class AttngenError(RuntimeError):
    pass


class _Problem(ctypes.Structure):
    _fields_ = [("batch", ctypes.c_int), ("heads_q", ctypes.c_int), ("heads_kv", ctypes.c_int),
                ("seq_q", ctypes.c_int), ("seq_k", ctypes.c_int)]


class _Tensors(ctypes.Structure):
    _fields_ = [("q", ctypes.c_void_p), ("k", ctypes.c_void_p), ("v", ctypes.c_void_p),
                ("o", ctypes.c_void_p), ("lse", ctypes.c_void_p),
                ("q_stride", ctypes.c_int64 * 3), ("k_stride", ctypes.c_int64 * 3),
                ("v_stride", ctypes.c_int64 * 3), ("o_stride", ctypes.c_int64 * 3),
                ("alibi_slopes", ctypes.c_void_p),
                ("bias_q", ctypes.c_void_p), ("bias_k", ctypes.c_void_p),
                ("bias_q_stride", ctypes.c_int64 * 3), ("bias_k_stride", ctypes.c_int64 * 3),
                ("bias_rank", ctypes.c_int),
                ("bias_dense", ctypes.c_void_p), ("bias_dense_stride", ctypes.c_int64 * 3),
                ("seq_lens_k", ctypes.c_void_p), ("bias_block_map", ctypes.c_void_p)]


class _Cost(ctypes.Structure):
    _fields_ = [(n, ctypes.c_double) for n in (
        "flops", "exps", "hbm_bytes_compulsory", "hbm_bytes_prologue", "hbm_bytes_attention",
        "io_lower_bound_bytes", "matmul_ms", "exp_ms", "memory_ms", "floor_ms")] + [
        ("bound", ctypes.c_char * 16)]


class _Tiles(ctypes.Structure):
    _fields_ = [(n, ctypes.c_int) for n in ("block_m", "block_n", "warps", "stages", "kv_chunk")]


class _Stats(ctypes.Structure):
    _fields_ = [("nvrtc_compiles", ctypes.c_uint64), ("compile_ms", ctypes.c_double),
                ("memory_hits", ctypes.c_uint64), ("memory_misses", ctypes.c_uint64),
                ("disk_hits", ctypes.c_uint64), ("disk_misses", ctypes.c_uint64),
                ("module_loads", ctypes.c_uint64), ("launches", ctypes.c_uint64)]


_STAGES = {"all": 0, "prologue": 1, "attention": 2}
_lib = None


def _library():
    global _lib
    if _lib is not None:
        return _lib
    path = os.environ.get("ATTNGEN_LIB")
    if not path:
        root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
        found = sorted(glob.glob(os.path.join(root, "build*", "lib", "libattngen.so")), key=os.path.getmtime)
        if not found:
            raise AttngenError("libattngen.so not found: build the project (make build) or set ATTNGEN_LIB")
        path = found[-1]
    lib = ctypes.CDLL(path)
    vp, i, sz = ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t
    lib.attngen_compile.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(vp)]
    lib.attngen_load_package.argtypes = [ctypes.c_char_p, ctypes.POINTER(vp)]
    lib.attngen_workspace_bytes.argtypes = [vp, ctypes.POINTER(_Problem), ctypes.POINTER(sz)]
    lib.attngen_launch_stages.argtypes = [vp, ctypes.POINTER(_Problem), ctypes.POINTER(_Tensors), vp, sz, vp, i]
    lib.attngen_kernel_cost.argtypes = [vp, ctypes.POINTER(_Problem), ctypes.POINTER(_Cost)]
    lib.attngen_block_map_bytes.argtypes = [vp, ctypes.POINTER(_Problem), ctypes.POINTER(_Tensors),
                                            ctypes.POINTER(sz)]
    lib.attngen_build_block_map.argtypes = [vp, ctypes.POINTER(_Problem), ctypes.POINTER(_Tensors),
                                            vp, sz, vp]
    lib.attngen_kernel_set_tuning_db.argtypes = [vp, ctypes.c_char_p]
    lib.attngen_kernel_tiles.argtypes = [vp, ctypes.POINTER(_Problem), ctypes.POINTER(_Tiles)]
    lib.attngen_kernel_plan_json.argtypes = [vp]
    lib.attngen_kernel_plan_json.restype = ctypes.c_char_p
    lib.attngen_kernel_release.argtypes = [vp]
    lib.attngen_last_error.restype = ctypes.c_char_p
    lib.attngen_stats.argtypes = [ctypes.POINTER(_Stats)]
    lib.attngen_version.restype = ctypes.c_char_p
    for name in ("attngen_compile", "attngen_load_package", "attngen_workspace_bytes",
                 "attngen_launch_stages", "attngen_stats", "attngen_kernel_cost",
                 "attngen_block_map_bytes", "attngen_build_block_map",
                 "attngen_kernel_set_tuning_db", "attngen_kernel_tiles"):
        getattr(lib, name).restype = i
    _lib = lib
    return lib


def _check(rc):
    if rc != 0:
        raise AttngenError(_library().attngen_last_error().decode())


def version():
    return _library().attngen_version().decode()


def stats():
    s = _Stats()
    _check(_library().attngen_stats(ctypes.byref(s)))
    return {name: getattr(s, name) for name, _ in _Stats._fields_}


class Kernel:
    """A generated kernel (prologues + attention) ready to launch on torch tensors."""

    def __init__(self, handle):
        self._h = handle
        self.plan = json.loads(_library().attngen_kernel_plan_json(handle).decode())
        v = self.plan["variant"]
        self.name = v["name"]
        self.head_dim = v["head_dim"]
        self.causal = v["mask"] == "causal"
        self.gqa = v["gqa"]
        self.bnhd = v["layout"] == "bnhd"
        self.lse = v["lse"]
        self.input_dtype, self.output_dtype = v["input"], v["output"]
        self.bias = v["bias"]
        self.bias_rank = v["bias_rank"]
        self._ws = {}

    def __del__(self):
        if getattr(self, "_h", None) and _lib is not None:
            _lib.attngen_kernel_release(self._h)
            self._h = None

    def _shape(self, q, k, v=None):
        if q.dim() != 4 or k.dim() != 4 or (v is not None and v.dim() != 4):
            raise AttngenError("q, k, v must be 4-d: [B, H, N, D] (bhnd) or [B, N, H, D] (bnhd)")
        if self.bnhd:
            (b, nq, hq, d), (bk, nk, hkv, dk) = q.shape, k.shape
        else:
            (b, hq, nq, d), (bk, hkv, nk, dk) = q.shape, k.shape
        if d != self.head_dim or dk != self.head_dim:
            raise AttngenError(f"head dims {d} (q), {dk} (k) != the variant's {self.head_dim}")
        # The C API sees only base pointers and strides: a smaller K or V would be read
        # out of bounds, so the extents are checked here.
        if bk != b:
            raise AttngenError(f"k has batch {bk} but q has {b}")
        if v is not None and v.shape != k.shape:
            raise AttngenError(f"v {tuple(v.shape)} must have k's shape {tuple(k.shape)}")
        return _Problem(b, hq, hkv, nq, nk)

    def _strides(self, t):
        if t.stride(3) != 1:
            raise AttngenError("the channel (last) dimension must be contiguous")
        s = t.stride()
        return (ctypes.c_int64 * 3)(*((s[0], s[2], s[1]) if self.bnhd else (s[0], s[1], s[2])))

    def workspace(self, q, k, stream=None):
        """A device buffer big enough for this problem (cached per shape and stream:
        launches on two streams at once must not share the quantized operands)."""
        import torch
        p = self._shape(q, k)
        s = stream if stream is not None else torch.cuda.current_stream(q.device)
        key = (p.batch, p.heads_q, p.heads_kv, p.seq_q, p.seq_k, q.device.index, s.cuda_stream)
        if key not in self._ws:
            n = ctypes.c_size_t()
            _check(_library().attngen_workspace_bytes(self._h, ctypes.byref(p), ctypes.byref(n)))
            self._ws[key] = torch.empty(n.value, dtype=torch.uint8, device=q.device)
        return self._ws[key]

    def set_tuning_db(self, path):
        """Launches take their tiles per shape from the tuning database at `path` (`attngen
        tune`; None: the plan's own tiles). Kernels start with $ATTNGEN_TUNING_DB when set."""
        _check(_library().attngen_kernel_set_tuning_db(self._h, os.fspath(path).encode() if path else None))
        self._ws.clear()  # the workspace size follows the tiles

    def tiles(self, q, k):
        """The tiles a launch on q's and k's shape runs with: block_m, block_n, warps,
        stages, kv_chunk (the plan's, or the tuning database's choice for the shape)."""
        p, t = self._shape(q, k), _Tiles()
        _check(_library().attngen_kernel_tiles(self._h, ctypes.byref(p), ctypes.byref(t)))
        return {name: getattr(t, name) for name, _ in _Tiles._fields_}

    def cost(self, q, k):
        """The I/O and roofline model of this kernel on q's and k's shape (as `attngen
        explain`): FLOPs, exponentials, HBM bytes, the I/O lower bound and the time floors
        in ms; 'bound' names the tightest floor."""
        p, c = self._shape(q, k), _Cost()
        _check(_library().attngen_kernel_cost(self._h, ctypes.byref(p), ctypes.byref(c)))
        out = {name: getattr(c, name) for name, _ in _Cost._fields_ if name != "bound"}
        out["bound"] = c.bound.decode()
        return out

    def _check_tensors(self, q, k, v, o, workspace, lse):
        import torch
        dt = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}
        want_in, want_out = dt[self.input_dtype], dt[self.output_dtype]
        for name, t, want in (("q", q, want_in), ("k", k, want_in), ("v", v, want_in),
                              ("o", o, want_out)):
            if t.dtype != want or not t.is_cuda or t.device != q.device:
                raise AttngenError(f"{name} must be a CUDA tensor of {want} on {q.device}, "
                                   f"got {t.dtype} on {t.device}")
        if o.shape != q.shape:
            raise AttngenError(f"o {tuple(o.shape)} must have q's shape {tuple(q.shape)}")
        if workspace.device != q.device:
            raise AttngenError(f"the workspace is on {workspace.device}, not {q.device}")
        if lse is not None:
            b, h, n = (q.shape[0], q.shape[2], q.shape[1]) if self.bnhd else q.shape[:3]
            # The kernels write the LSE densely: [B, Hq, Nq] float32, contiguous.
            if (lse.dtype != torch.float32 or lse.device != q.device
                    or tuple(lse.shape) != (b, h, n) or not lse.is_contiguous()):
                raise AttngenError(f"lse must be a contiguous float32 CUDA tensor {(b, h, n)} "
                                   f"on {q.device}, got {lse.dtype} {tuple(lse.shape)} on {lse.device}")

    def _seq_lens(self, p, q, seq_lens_k):
        import torch
        if seq_lens_k is None:
            return None
        if (seq_lens_k.dtype != torch.int32 or seq_lens_k.device != q.device
                or tuple(seq_lens_k.shape) != (p.batch,) or not seq_lens_k.is_contiguous()):
            raise AttngenError(f"seq_lens_k must be a contiguous int32 CUDA tensor ({p.batch},) on "
                               f"{q.device}, got {seq_lens_k.dtype} {tuple(seq_lens_k.shape)} on "
                               f"{seq_lens_k.device}")
        return seq_lens_k.data_ptr()

    def _bias_args(self, p, q, bias):
        """Checks `bias` against the variant and the problem: (qb, kb) for bias =
        lowrank(R), a table for bias = dense, None otherwise. Returns the _Tensors fields
        (pointers and element strides; a size-1 or expanded batch / head broadcasts)."""
        import torch
        i64x3 = ctypes.c_int64 * 3
        fields = {}
        if self.bias not in ("lowrank", "dense"):
            if bias is not None:
                raise AttngenError(f"variant '{self.name}' takes no bias tensor; bias must be None")
            return fields
        want = {"bf16": torch.bfloat16, "fp16": torch.float16}[self.input_dtype]

        def check(name, t, n, last, what):
            if not isinstance(t, torch.Tensor) or t.dtype != want or t.device != q.device:
                raise AttngenError(f"{name} must be a CUDA tensor of {want} on {q.device}")
            if t.dim() != 4:
                raise AttngenError(f"{name} must be 4-d {what}, got {tuple(t.shape)}")
            b, h, nt, r = t.shape
            if b not in (1, p.batch) or h not in (1, p.heads_q) or nt != n or r != last:
                raise AttngenError(f"{name} {tuple(t.shape)} does not fit: want [{p.batch} or 1, "
                                   f"{p.heads_q} or 1, {n}, {last}] ({what})")
            if t.stride(3) != 1:
                raise AttngenError(f"{name}: the last dimension must be contiguous")
            st = t.stride()
            return t.data_ptr(), i64x3(st[0] if b > 1 else 0, st[1] if h > 1 else 0, st[2])

        if self.bias == "dense":
            if not isinstance(bias, torch.Tensor):
                raise AttngenError(f"variant '{self.name}' has bias = dense: pass bias=table, "
                                   f"[B, Hq, Nq, Nk] in {want} (-inf masks)")
            fields["bias_dense"], fields["bias_dense_stride"] = check(
                "bias", bias, p.seq_q, p.seq_k, "[B, Hq, Nq, Nk]")
            return fields
        if bias is None or len(bias) != 2:
            raise AttngenError(f"variant '{self.name}' has bias = lowrank({self.bias_rank}): "
                               f"pass bias=(qb, kb), qb [B, Hq, Nq, R] and kb [B, Hq, Nk, R]")
        what = f"[B, Hq, N, R] with R = {self.bias_rank} of lowrank({self.bias_rank})"
        fields["bias_q"], fields["bias_q_stride"] = check("qb", bias[0], p.seq_q,
                                                          self.bias_rank, what)
        fields["bias_k"], fields["bias_k_stride"] = check("kb", bias[1], p.seq_k,
                                                          self.bias_rank, what)
        fields["bias_rank"] = self.bias_rank
        return fields

    def _block_map_bytes(self, p, t):
        n = ctypes.c_size_t()
        _check(_library().attngen_block_map_bytes(self._h, ctypes.byref(p), ctypes.byref(t),
                                                  ctypes.byref(n)))
        return n.value

    def block_map(self, q, k, bias, stream=None):
        """The block map of a bias = dense table (a uint8 CUDA tensor, one byte per tile of
        this kernel): build it once per table and pass it as block_map= to every call with
        that table; tiles whose entries are all -inf are then skipped (same output)."""
        import torch
        if self.bias != "dense":
            raise AttngenError(f"variant '{self.name}' has no dense bias: no block map")
        p = self._shape(q, k)
        t = _Tensors(**self._bias_args(p, q, bias))
        m = torch.empty(self._block_map_bytes(p, t), dtype=torch.uint8, device=q.device)
        with torch.cuda.device(q.device):
            s = stream if stream is not None else torch.cuda.current_stream(q.device)
            _check(_library().attngen_build_block_map(self._h, ctypes.byref(p), ctypes.byref(t),
                                                      m.data_ptr(), m.numel(),
                                                      ctypes.c_void_p(s.cuda_stream)))
        return m

    def launch(self, q, k, v, o, workspace, lse=None, stage="all", stream=None,
               alibi_slopes=None, bias=None, seq_lens_k=None, block_map=None):
        """Launches on torch's current stream (or `stream`): all kernels, or only the
        quantization prologue / only the attention kernel (for kernel-only timing).
        `alibi_slopes`: a float32 CUDA tensor [heads_q] (variants with bias = alibi).
        `bias`: (qb, kb) of bias = lowrank(R), qb [B, Hq, Nq, R] and kb [B, Hq, Nk, R],
        or the table [B, Hq, Nq, Nk] of bias = dense (row stride a multiple of 8; -inf masks), in
        the input dtype (size-1 or expanded batch / head dims broadcast); the scores get
        it added in natural-log units. `seq_lens_k`: an int32 CUDA tensor [B], the keys of
        each sequence (key padding / a KV cache's fill): sequence b behaves as if Nk were
        seq_lens_k[b], its later keys never read, the causal diagonal aligned to its end.
        `block_map`: the table's map from block_map(q, k, bias) (bias = dense only)."""
        import torch
        if stage not in _STAGES:
            raise AttngenError(f"stage must be one of {sorted(_STAGES)}, not {stage!r}")
        p = self._shape(q, k, v)
        self._check_tensors(q, k, v, o, workspace, lse)
        if alibi_slopes is not None and (
                alibi_slopes.dtype != torch.float32 or alibi_slopes.device != q.device
                or tuple(alibi_slopes.shape) != (p.heads_q,) or not alibi_slopes.is_contiguous()):
            raise AttngenError(f"alibi_slopes must be a contiguous float32 CUDA tensor "
                               f"({p.heads_q},) on {q.device}, got {alibi_slopes.dtype} "
                               f"{tuple(alibi_slopes.shape)} on {alibi_slopes.device}")
        t = _Tensors(q.data_ptr(), k.data_ptr(), v.data_ptr(), o.data_ptr(),
                     lse.data_ptr() if lse is not None else None,
                     self._strides(q), self._strides(k), self._strides(v), self._strides(o),
                     alibi_slopes.data_ptr() if alibi_slopes is not None else None,
                     seq_lens_k=self._seq_lens(p, q, seq_lens_k), **self._bias_args(p, q, bias))
        if block_map is not None:
            if self.bias != "dense":
                raise AttngenError(f"variant '{self.name}' has no dense bias: block_map must be None")
            if (block_map.dtype != torch.uint8 or block_map.device != q.device
                    or not block_map.is_contiguous()
                    or block_map.numel() != self._block_map_bytes(p, t)):
                raise AttngenError("block_map must be the contiguous uint8 CUDA tensor that "
                                   "block_map(q, k, bias) returns for this table")
            t.bias_block_map = block_map.data_ptr()
        # The library launches in the calling thread's current CUDA context: make it
        # the tensors' device's (torch's primary context), not whatever device is current.
        with torch.cuda.device(q.device):
            s = stream if stream is not None else torch.cuda.current_stream(q.device)
            nbytes = workspace.numel() * workspace.element_size()
            _check(_library().attngen_launch_stages(self._h, ctypes.byref(p), ctypes.byref(t),
                                                    workspace.data_ptr(), nbytes,
                                                    ctypes.c_void_p(s.cuda_stream), _STAGES[stage]))

    def __call__(self, q, k, v, return_lse=False, alibi_slopes=None, bias=None, seq_lens_k=None,
                 block_map=None):
        import torch
        dt = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}
        want = dt[self.input_dtype]
        for name, t in (("q", q), ("k", k), ("v", v)):
            if t.dtype != want or not t.is_cuda:
                raise AttngenError(f"{name} must be a CUDA tensor of {want}, got {t.dtype} on {t.device}")
        o = torch.empty(q.shape, dtype=dt[self.output_dtype], device=q.device)
        lse = None
        if self.lse:
            b, h, n = (q.shape[0], q.shape[2], q.shape[1]) if self.bnhd else q.shape[:3]
            lse = torch.empty((b, h, n), dtype=torch.float32, device=q.device)
        self.launch(q, k, v, o, self.workspace(q, k), lse=lse, alibi_slopes=alibi_slopes,
                    bias=bias, seq_lens_k=seq_lens_k, block_map=block_map)
        return (o, lse) if return_lse else o


def compile(dsl_text, target=None, tuning_db=None):
    """JIT-compiles the one variant of `dsl_text` (needs a build with the compiler).
    tuning_db: as Kernel.set_tuning_db."""
    h = ctypes.c_void_p()
    _check(_library().attngen_compile(dsl_text.encode(), target.encode() if target else None, ctypes.byref(h)))
    k = Kernel(h)
    if tuning_db:
        k.set_tuning_db(tuning_db)
    return k


def load_package(path, tuning_db=None):
    """Loads a kernel package (plan.json + kernel.cu) written by `attngen emit --package`.
    tuning_db: as Kernel.set_tuning_db."""
    h = ctypes.c_void_p()
    _check(_library().attngen_load_package(os.fspath(path).encode(), ctypes.byref(h)))
    k = Kernel(h)
    if tuning_db:
        k.set_tuning_db(tuning_db)
    return k


PackageInfo = namedtuple("PackageInfo", "path name head_dim causal plan")


def list_packages(root, native_only=True):
    """{name: PackageInfo} of the package directories under `root`, by directory name (the
    variant's name for `attngen emit --package-dir`; a variant emitted twice, e.g. with other
    tiles as NAME_bm128, is listed under each directory). With
    native_only (the default) only the packages for the arch-specific target of their SM
    (sm_90a on Hopper) are listed, so that a variant also emitted for the portable target
    (tools/gpu/prepare.sh's NAME_mma packages: the mma.sync mainloop) does not replace it."""
    out = {}
    for plan_path in sorted(glob.glob(os.path.join(root, "*", "plan.json"))):
        with open(plan_path) as f:
            plan = json.load(f)
        t = plan.get("target", {})
        if native_only and t.get("sm", 0) >= 90 and not t.get("arch_specific", False):
            continue
        v, path = plan["variant"], os.path.dirname(plan_path)
        out[os.path.basename(path)] = PackageInfo(path, os.path.basename(path), v["head_dim"],
                                                  v["mask"] == "causal", plan)
    return out


from .lowrank import distance_factors, fit_lowrank  # noqa: E402  (needs _library above)
