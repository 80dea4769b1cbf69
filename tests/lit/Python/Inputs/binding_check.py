"""python/attngen's checks before the C launch (stand-in torch, no GPU): tensors whose
extents, types or devices the kernels would misuse are refused with a message; a valid call
reaches the library (which then reports that there is no driver) inside the tensors' device."""
import attngen
import torch
from torch import Tensor, bfloat16, float32, uint8, device

kern = attngen.compile("variant py { qk = int8; pv = bf16; head_dim = 64; lse = true; }", "sm_80")
B, H, N, D = 1, 2, 128, 64
q, k, v, o = (Tensor((B, H, N, D), bfloat16) for _ in range(4))
lse = Tensor((B, H, N), float32)
ws = Tensor((1 << 20,), uint8)


def attempt(label, *args, **kw):
    try:
        kern.launch(*args, **kw)
        print(label, "launched")
    except attngen.AttngenError as e:
        print(label, "refused:", str(e).splitlines()[0])


attempt("short-v", q, k, Tensor((B, H, N // 2, D), bfloat16), o, ws, lse=lse)
attempt("batch", q, Tensor((B + 1, H, N, D), bfloat16), Tensor((B + 1, H, N, D), bfloat16), o, ws, lse=lse)
attempt("o-dtype", q, k, v, Tensor((B, H, N, D), float32), ws, lse=lse)
attempt("o-shape", q, k, v, Tensor((B, H, N - 1, D), bfloat16), ws, lse=lse)
attempt("lse-dtype", q, k, v, o, ws, lse=Tensor((B, H, N), bfloat16))
attempt("lse-shape", q, k, v, o, ws, lse=Tensor((B, N, H), float32))
attempt("device", q, Tensor((B, H, N, D), bfloat16, device("cuda", 1)), v, o, ws, lse=lse)
attempt("stage", q, k, v, o, ws, lse=lse, stage="everything")


seen = []
real = attngen._library().attngen_launch_stages
attngen._library().attngen_launch_stages = lambda *a: (seen.append(list(torch.cuda.current)), real(*a))[1]
attempt("valid", q, k, v, o, ws, lse=lse)
print("current device during the C call:", seen)


class _OtherStream:
    cuda_stream = 12345


# One workspace per stream: two streams running at once would share quantized operands.
print("same stream, same workspace:", kern.workspace(q, k) is kern.workspace(q, k))
print("other stream, other workspace:", kern.workspace(q, k, _OtherStream()) is not kern.workspace(q, k))

# A tuning database: a missing file holds no entry, so a shape keeps the plan's tiles; the
# workspace cache is dropped with it (its size follows the tiles).
plan_tiles = dict(kern.plan["tiles"], kv_chunk=kern.plan["kv_chunk"])
print("plan tiles without a database:", kern.tiles(q, k) == plan_tiles)
kern.set_tuning_db("/nonexistent/attngen-tuning.json")
print("plan tiles with an empty database:", kern.tiles(q, k) == plan_tiles, len(kern._ws))
kern.set_tuning_db(None)
