/*===- attngen.h - The C API of attngen ----------------------------------===*
 *
 * A C99 interface over the JIT (attngen/runtime/Jit.h) for bindings (Python)
 * and C hosts. Every function returning int returns 0 on success and nonzero
 * on failure, with the reason in attngen_last_error() (per thread).
 *
 *   attngen_kernel_t k;
 *   if (attngen_compile(dsl_text, NULL, &k)) fprintf(stderr, "%s\n", attngen_last_error());
 *   size_t ws; attngen_workspace_bytes(k, &problem, &ws);
 *   attngen_launch(k, &problem, &tensors, ws_ptr, ws, stream);
 *   attngen_kernel_release(k);
 *
 *===----------------------------------------------------------------------===*/
#ifndef ATTNGEN_ATTNGEN_H
#define ATTNGEN_ATTNGEN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct attngen_kernel_s *attngen_kernel_t;

/* Shapes: Q [batch, heads_q, seq_q, D]; K, V [batch, heads_kv, seq_k, D]. */
typedef struct attngen_problem {
  int batch, heads_q, heads_kv, seq_q, seq_k;
} attngen_problem;

/* Device pointers; strides in elements: [0] batch, [1] head, [2] token
 * (channel stride 1). lse ([batch, heads_q, seq_q] floats) is required iff
 * the variant returns the LSE. */
typedef struct attngen_tensors {
  const void *q, *k, *v;
  void *o;
  float *lse;
  int64_t q_stride[3], k_stride[3], v_stride[3], o_stride[3];
  /* bias = alibi: [heads_q] float slopes on the device (natural-log units;
   * the standard ones are 2^(-8 (h + 1) / H) for H a power of two); required
   * by such a variant, ignored otherwise. Last, so older initializers that
   * zero the rest stay valid. */
  const float *alibi_slopes;
  /* bias = lowrank(R): factors qb [batch, heads_q, seq_q, R] and kb [batch,
   * heads_q, seq_k, R] in the input type on the device, rank-contiguous,
   * strides in elements ([0] batch, [1] head, [2] token; 0 broadcasts);
   * bias_rank is their last dimension and must equal the variant's R.
   * Required by such a variant, ignored otherwise. */
  const void *bias_q, *bias_k;
  int64_t bias_q_stride[3], bias_k_stride[3];
  int bias_rank;
  /* bias = dense: the table [batch, heads_q, seq_q, seq_k] in the input type on
   * the device, key stride 1, strides in elements ([0] batch, [1] head, [2]
   * query row; 0 broadcasts); -inf entries mask. */
  const void *bias_dense;
  int64_t bias_dense_stride[3];
  /* Optional [batch] int32 on the device: the keys of each sequence (key
   * padding, a KV cache's fill); sequence b behaves as a problem with
   * seq_k = seq_lens_k[b] (clamped to [0, seq_k]), the causal diagonal
   * aligned to its end. NULL: all seq_k. */
  const int *seq_lens_k;
  /* Optional with bias = dense: the table's block map (attngen_build_block_map,
   * once per table, same strides): tiles whose entries are all -inf are
   * skipped. NULL visits every tile. */
  const void *bias_block_map;
} attngen_tensors;

typedef struct attngen_stats_t {
  uint64_t nvrtc_compiles;
  double compile_ms;
  uint64_t memory_hits, memory_misses;
  uint64_t disk_hits, disk_misses;
  uint64_t module_loads, launches;
} attngen_stats_t;

/* Compiles the one variant of `dsl_text` for `target_or_null` ("sm_90a",
 * "sm_89", ...; NULL: the current device). Needs a build with the compiler. */
int attngen_compile(const char *dsl_text, const char *target_or_null, attngen_kernel_t *out);
/* Loads a kernel package directory (plan.json + kernel.cu). */
int attngen_load_package(const char *dir, attngen_kernel_t *out);
/* Workspace bytes of `problem` (fails on an invalid problem). */
int attngen_workspace_bytes(attngen_kernel_t kernel, const attngen_problem *problem,
                            size_t *out);
/* bias = dense: bytes of the block map of tensors->bias_dense (one per tile
 * of this kernel's blockM x blockN; its batch and head dimensions broadcast
 * where the table's strides are 0). Fails for other variants or a bad table. */
int attngen_block_map_bytes(attngen_kernel_t kernel, const attngen_problem *problem,
                            const attngen_tensors *tensors, size_t *out);
/* Builds that map into `map` (device memory of map_bytes bytes) on `stream`;
 * pass it as tensors->bias_block_map to the launches with the same table. */
int attngen_build_block_map(attngen_kernel_t kernel, const attngen_problem *problem,
                            const attngen_tensors *tensors, void *map, size_t map_bytes,
                            void *stream);
/* Validates, then launches every kernel of the plan on `stream` (a
 * CUstream / cudaStream_t; NULL is the legacy default stream). The workspace
 * must hold `workspace_bytes` >= attngen_workspace_bytes bytes, 256-aligned. */
int attngen_launch(attngen_kernel_t kernel, const attngen_problem *problem,
                   const attngen_tensors *tensors, void *workspace, size_t workspace_bytes,
                   void *stream);
/* Which kernels attngen_launch_stages runs: all of them (as attngen_launch),
 * only the quantization prologues, or only the attention kernel (on operands
 * an earlier prologue launch quantized into the same workspace). */
enum { ATTNGEN_STAGES_ALL = 0, ATTNGEN_STAGES_PROLOGUE = 1, ATTNGEN_STAGES_ATTENTION = 2 };
int attngen_launch_stages(attngen_kernel_t kernel, const attngen_problem *problem,
                          const attngen_tensors *tensors, void *workspace,
                          size_t workspace_bytes, void *stream, int stages);
/* The I/O and roofline model of the kernel on `problem` (attngen explain prints
 * the same): work, HBM bytes, the attention I/O lower bound N^2 d^2 / M (Saha
 * and Ye) and the time floors on the model's H200 ceilings; `bound` names the
 * tightest floor ("matmul", "exp" or "memory"). */
typedef struct attngen_cost {
  double flops, exps;
  double hbm_bytes_compulsory, hbm_bytes_prologue, hbm_bytes_attention, io_lower_bound_bytes;
  double matmul_ms, exp_ms, memory_ms, floor_ms;
  char bound[16];
} attngen_cost;
int attngen_kernel_cost(attngen_kernel_t kernel, const attngen_problem *problem,
                        attngen_cost *out);
/* A tuning database (`attngen tune`; docs/TUNING.md) for the kernel's launches:
 * each problem then runs with the tiles of the database's entry for its shape
 * bucket (else the nearest tuned bucket), compiled on first use through the
 * caches; a problem the database has nothing for keeps the plan's tiles.
 * NULL or "" turns it off. Kernels start with $ATTNGEN_TUNING_DB when set.
 * Workspace sizes, block maps, costs and launches all follow the choice.
 * Not to be called while another thread uses the same handle (launches on a
 * handle are thread-safe among themselves). */
int attngen_kernel_set_tuning_db(attngen_kernel_t kernel, const char *path_or_null);
/* The tiles a launch of `problem` runs with (the plan's or the database's). */
typedef struct attngen_tiles {
  int block_m, block_n, warps, stages, kv_chunk;
} attngen_tiles;
int attngen_kernel_tiles(attngen_kernel_t kernel, const attngen_problem *problem,
                         attngen_tiles *out);
/* The kernel's plan as JSON (valid until the kernel is released). */
const char *attngen_kernel_plan_json(attngen_kernel_t kernel);
/* Releases a handle (NULL is fine). */
void attngen_kernel_release(attngen_kernel_t kernel);
/* The last error of this thread ("" if none). */
const char *attngen_last_error(void);
int attngen_stats(attngen_stats_t *out);
const char *attngen_version(void);

/* ===== Low-rank bias fitting (FlashBias, issue 4; runtime/api/CApiFit.cpp) =====
 *
 * Fits factors with qb kb^T ~ table (a dense row-major float32 [rows][cols]
 * bias) by a randomized truncated SVD (attngen/reference/LowRank.h), for the
 * `bias = lowrank(R)` variants. Exactly one target: `energy` in (0, 1] (the
 * captured fraction of ||table||_F^2), `rel_error` in [0, 1) (||table - qb
 * kb^T||_F / ||table||_F) or `rank` >= 1; pass a negative value for each
 * unused one (0 also marks rank unused). The chosen rank is the smallest that
 * meets the target, at most `max_rank` (>= 1), which also sizes the outputs:
 * u_out holds rows * max_rank floats and v_out cols * max_rank, of which the
 * first rows * rank and cols * rank are written, row-major [rows][rank] and
 * [cols][rank]; column t of each is a singular vector times sqrt(sigma_t).
 * singular_out (NULL: not wanted) receives max_rank doubles, the leading
 * singular values (0 past those the sketch found). The errors in `result`
 * are exact, from the float factors. Returns 0, or 1 with the reason in
 * result->error (this call does not set attngen_last_error()); a target not
 * reached within max_rank says what that rank reached.
 */
typedef struct attngen_fit_result {
  int rank, sketch_rank;
  double energy, rel_frob_error, max_abs_error;
  char error[512];
} attngen_fit_result;
int attngen_fit_lowrank(const float *table, int rows, int cols, double energy, double rel_error,
                        int rank, int max_rank, float *u_out, float *v_out,
                        double *singular_out, attngen_fit_result *result);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNGEN_ATTNGEN_H */
