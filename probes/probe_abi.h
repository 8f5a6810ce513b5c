/* The narrow, versioned C ABI between gpuval and its run-time loaded probe modules
 * (libgpuval_probe_cublas.so, libgpuval_probe_cudnn.so, libgpuval_probe_nccl.so). A module links
 * the library it probes (cuBLAS, cuDNN, NCCL); gpuval dlopens the module, so an image without
 * that library, or with a broken one, fails to load one module and still runs every other check.
 *
 * Contract:
 *  - The module exports one symbol, GPUVAL_PROBE_ENTRY_SYMBOL, returning a pointer to a static
 *    gpuval_probe_module. gpuval refuses a module whose abi_version differs from its own or whose
 *    struct_size is smaller than GPUVAL_PROBE_MODULE_BASE_SIZE (the first ABI 1 layout).
 *  - run() never throws and never aborts: every failure is reported in the JSON it returns.
 *  - The JSON text is allocated by the module and released with the module's free_result().
 *  - Adding fields at the END of a struct is compatible (struct_size tells); anything else bumps
 *    GPUVAL_PROBE_ABI_VERSION. The benchmark functions were added that way: a module has them
 *    when gpuval_probe_module_has_bench() says so (modules built before them do not, and their
 *    benchmarks SKIP while their checks still run).
 *
 * Result JSON (ABI version 1):
 *  { "probe": "cublas",
 *    "library": {"name": "cuBLAS", "version": "13.1.0", "version_code": 130100,
 *                "header_version_code": 130100},
 *    "device": {"index": 0, "name": "...", "cc": "9.0"},
 *    "cases": [ {"name": "fp32", "status": "PASS|FAIL|SKIP", "tolerance": 1e-5,
 *                "rel_error": 3e-7, "max_abs_error": ..., "bad_elements": 0, "non_finite": 0,
 *                "first_bad": null | {"index": 17, "got": 1.5, "expected": 0.25},
 *                "shape": {...}, "reason": "why SKIP", "error": <error object>} ],
 *    "error": <error object>   (present when the probe could not run at all) }
 *  error object: {"library": "cuBLAS", "code": 7, "name": "CUBLAS_STATUS_...",
 *                 "description": "...", "call": "...", "where": "file.cpp:42"}
 *
 * Benchmarks (bench_open / bench_start / bench_finish / bench_close). The module times its own
 * library calls with CUDA events, so gpuval needs no handle of the library:
 *  - bench_open(request, &session) prepares one problem on request->device (allocations, random
 *    inputs that are never zero, algorithm choice) and returns
 *      {"probe": "cublas", "op": "gemm", "status": "READY|SKIP|FAIL",
 *       "reason": "why SKIP (e.g. needs 3.1 GiB of device memory, 1.2 GiB free)",
 *       "skip": "unsupported|capability|memory" (what kind of SKIP),
 *       "error": <error object> (FAIL), "library": {...}, "device": {...},
 *       "problem": {"precision": "bf16", "m": .., "n": .., "k": .., "flop": .., ...},
 *       "algorithm": {...}, "memory": {"needed_bytes": .., "free_bytes": ..},
 *       "verification": {"samples": 256, "tolerance": .., "tolerance_reason": ".."}}
 *    and sets *session only when status is READY (NULL otherwise).
 *  - bench_start(session, iterations, warmup) enqueues `warmup` untimed calls, then `iterations`
 *    calls between two CUDA events, and returns at once (0), so the caller can sample clocks
 *    while the GPU works; non-zero when enqueueing failed (bench_finish then says why).
 *  - bench_finish(session) waits for that batch, checks a sample of its output against an FP64
 *    reference and returns
 *      {"status": "PASS|FAIL", "time_ms": 12.5, "iterations": 20, "verified": true,
 *       "check": {<case object of run(): tolerance, rel_error, bad_elements, ...>},
 *       "error": <error object> (when the batch could not run)}
 *    time_ms covers the `iterations` calls only (event to event).
 *  - bench_close(session) releases everything; NULL is allowed.
 *  GPUVAL_PROBE_FLAG_CORRUPT_ONE_ELEMENT in the request corrupts one sampled output element
 *  before every comparison (for tests that a wrong result is caught).
 *
 * Cold start (cold_start, added after the benchmark functions; valid when
 * gpuval_probe_module_has_cold_start() says so): in a fresh process whose CUDA context is
 * current (gpuval __cold-start, bench/cold_start.hpp), time the library's first use on
 * request->device: the first handle, and for cuBLAS its first GEMM (256^3 SGEMM, synchronised,
 * one output element checked). Returns
 *   {"probe": "cublas", "op": "cold-start", "status": "PASS|FAIL", "handle_ms": 41.2,
 *    "first_call_ms": 12.5 (cuBLAS only), "verified": true, "library": {...},
 *    "error": <error object> (FAIL)}
 * The module's own runtime initialisation (cudaSetDevice) comes before the timers.
 * Collectives (collectives(), the NCCL module libgpuval_probe_nccl.so). JSON in, JSON out, so the
 * request can grow (new keys, new bootstrap kinds) without another ABI change; the module
 * answers "schema" with the version it speaks and rejects a request of another major.
 *  Request {"schema": "gpuval.collectives/1", "op": "sweep",
 *           "devices": [0, 1, ...]   CUDA ordinals this process drives, one rank each
 *           "bootstrap": {"kind": "local"},
 *           "collectives": ["all-reduce", "all-gather", "reduce-scatter"],
 *           "sizes": [8, 1048576, ...]  bytes, as nccl-tests counts a size: all-reduce the
 *                      buffer, all-gather the gathered output, reduce-scatter the input; float32
 *                      elements, rounded down to a multiple of 4 B x ranks (>= one per rank)
 *           "warmup": 5, "repetitions": 3, "min_iterations": 1, "max_iterations": 1000,
 *           "repetition_budget_s": 0.02   iterations per repetition calibrated to this
 *           "timeout_ms": 30000   bound of every wait (communicator init, a group launch, a
 *                      batch); past it the module aborts its communicators (ncclCommAbort) and
 *                      answers what it has
 *           "progress_fd": 3     optional: one line written there per finished step, the
 *                      heartbeat a supervising process watches (-1: none)
 *           "flags": GPUVAL_PROBE_FLAG_*, "seed": 42}
 *  Answer  {"probe": "nccl", "schema": "gpuval.collectives/1", "status": "PASS|FAIL|SKIP",
 *           "reason": "why SKIP", "error": <error object>,
 *           "library": {"name": "NCCL", "version": "2.28.9", "version_code": 22809, ...},
 *           "ranks": 8, "devices": [{"rank": 0, "device": 0, "name": "...", "pci_bus_id": ..}],
 *           "init_s": 1.2, "aborted": false, "timeout": {"stage": "...", "after_s": 30},
 *           "results": [{"collective": "all-reduce", "bytes": 8, "count": 2,
 *                        "status": "PASS|FAIL|SKIP", "iterations": 20, "warmup": 5,
 *                        "times_s": [seconds per iteration, one per repetition],
 *                        "verified": true, "check": {"elements": .., "bad_elements": 0,
 *                        "first_bad": {"rank": 1, "index": 7, "got": .., "expected": ..}},
 *                        "error": <error object>, "reason": ".."}]}
 *  The module times with the host clock around `iterations` back-to-back collectives (one
 *  ncclGroupStart/End over all local ranks each), waiting for every rank's stream, as
 *  nccl-tests does; bandwidths are computed by the caller.
 *  Extension point, multi-node: bootstrap {"kind": "unique-id", "nranks": N, "first_rank": R,
 *  "unique_id": "<256 hex digits>"} makes this process ranks R .. R + devices - 1 of an N-rank
 *  communicator (ncclCommInitRankConfig with that id); {"op": "unique-id"} answers
 *  {"unique_id": "<hex>"} (ncclGetUniqueId) for the launcher (Slurm, Kubernetes) to hand to
 *  every process. "local" is the same with a fresh id, N = devices and R = 0.
 */
#ifndef GPUVAL_PROBES_PROBE_ABI_H
#define GPUVAL_PROBES_PROBE_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GPUVAL_PROBE_ABI_VERSION 1u
#define GPUVAL_PROBE_ENTRY_SYMBOL "gpuval_probe_module_v1"

/* request.flags */
/* Corrupt one element of the result after the library computed it and before the comparison:
 * for tests that the comparison really fails on a wrong result. */
#define GPUVAL_PROBE_FLAG_CORRUPT_ONE_ELEMENT (1u << 0)

typedef struct gpuval_probe_request {
  uint32_t struct_size; /* sizeof(gpuval_probe_request) as the caller knows it */
  int32_t device;       /* CUDA device ordinal */
  uint32_t flags;       /* GPUVAL_PROBE_FLAG_* */
  uint32_t reserved;    /* 0 */
  uint64_t seed;        /* random inputs: the same seed gives the same inputs */
} gpuval_probe_request;

/* bench request.op */
#define GPUVAL_BENCH_OP_GEMM 1u       /* cuBLAS module: C = A^T B ("TN"), cuBLASLt */
#define GPUVAL_BENCH_OP_CONV2D_FWD 2u /* cuDNN module: convolution forward, NHWC */

typedef struct gpuval_probe_bench_request {
  uint32_t struct_size;  /* sizeof(gpuval_probe_bench_request) as the caller knows it */
  int32_t device;        /* CUDA device ordinal */
  uint32_t op;           /* GPUVAL_BENCH_OP_* */
  uint32_t flags;        /* GPUVAL_PROBE_FLAG_* */
  const char* precision; /* GEMM: "fp64", "fp32", "tf32", "fp16", "bf16", "fp8-e4m3";
                            convolution: "fp16", "bf16" (the module SKIPs others) */
  /* GEMM: C (M x N) = A^T B with A^T given as K x M and B as K x N, column-major. */
  int64_t m, n, k;
  /* Convolution: input N x C x H x W, K filters of C x R x S, zero padding, stride. */
  int32_t conv_n, conv_c, conv_h, conv_w, conv_k, conv_r, conv_s, conv_pad, conv_stride;
  uint32_t reserved; /* 0 */
  uint64_t seed;     /* random inputs: the same seed gives the same inputs */
} gpuval_probe_bench_request;

/* A prepared benchmark, owned by the module (opaque to gpuval). */
typedef struct gpuval_probe_bench gpuval_probe_bench;

typedef struct gpuval_probe_module {
  uint32_t abi_version; /* GPUVAL_PROBE_ABI_VERSION the module was built with */
  uint32_t struct_size; /* sizeof(gpuval_probe_module) as the module knows it */
  const char* name;     /* "cublas", "cudnn", "nccl" */
  /* Runs the probe; returns NUL-terminated JSON (see above), or NULL only if even that could not
   * be allocated. */
  char* (*run)(const gpuval_probe_request* request);
  void (*free_result)(char* result);

  /* ---- added in ABI 1 after the fields above: valid only when gpuval_probe_module_has_bench()
   * ---- (see "Benchmarks" above; every returned text is released with free_result) */
  char* (*bench_open)(const gpuval_probe_bench_request* request, gpuval_probe_bench** session);
  int32_t (*bench_start)(gpuval_probe_bench* session, int32_t iterations, int32_t warmup);
  char* (*bench_finish)(gpuval_probe_bench* session);
  void (*bench_close)(gpuval_probe_bench* session);

  /* ---- added in ABI 1 after the benchmark functions: valid only when
   * ---- gpuval_probe_module_has_cold_start() (see "Cold start" above) */
  char* (*cold_start)(const gpuval_probe_request* request);
  /* ---- added in ABI 1 after cold_start: valid only when gpuval_probe_module_has_collectives()
   * ---- (see "Collectives" above; the text is released with free_result). NULL in modules
   * ---- without collectives (cuBLAS, cuDNN). */
  char* (*collectives)(const char* request_json);
} gpuval_probe_module;

/* The size of the first ABI 1 layout (up to free_result): the least gpuval accepts. */
#define GPUVAL_PROBE_MODULE_BASE_SIZE offsetof(gpuval_probe_module, bench_open)
/* The size of a module struct that has the benchmark functions. */
#define GPUVAL_PROBE_MODULE_BENCH_SIZE \
  (offsetof(gpuval_probe_module, bench_close) + sizeof(void (*)(gpuval_probe_bench*)))

/* Non-zero when `m` has the benchmark functions: its struct_size covers them (read first, so an
 * older module's shorter struct is never read past its end) and none is NULL. */
static inline int gpuval_probe_module_has_bench(const gpuval_probe_module* m) {
  return m != NULL && m->struct_size >= GPUVAL_PROBE_MODULE_BENCH_SIZE && m->bench_open != NULL &&
         m->bench_start != NULL && m->bench_finish != NULL && m->bench_close != NULL;
}

/* The size of a module struct that has the cold-start function. */
#define GPUVAL_PROBE_MODULE_COLD_START_SIZE \
  (offsetof(gpuval_probe_module, cold_start) + sizeof(char* (*)(const gpuval_probe_request*)))

/* Non-zero when `m` has the cold-start function (struct_size read first, as above). */
static inline int gpuval_probe_module_has_cold_start(const gpuval_probe_module* m) {
  return m != NULL && m->struct_size >= GPUVAL_PROBE_MODULE_COLD_START_SIZE &&
         m->cold_start != NULL;
}

/* The size of a module struct that has collectives(). */
#define GPUVAL_PROBE_MODULE_COLLECTIVES_SIZE \
  (offsetof(gpuval_probe_module, collectives) + sizeof(char* (*)(const char*)))

/* Non-zero when `m` has collectives() (struct_size read first, as above). */
static inline int gpuval_probe_module_has_collectives(const gpuval_probe_module* m) {
  return m != NULL && m->struct_size >= GPUVAL_PROBE_MODULE_COLLECTIVES_SIZE &&
         m->collectives != NULL;
}

typedef const gpuval_probe_module* (*gpuval_probe_entry_fn)(void);

/* What a module defines (and the only symbol it exports). */
#if defined(__GNUC__)
#define GPUVAL_PROBE_EXPORT __attribute__((visibility("default")))
#else
#define GPUVAL_PROBE_EXPORT
#endif
GPUVAL_PROBE_EXPORT const gpuval_probe_module* gpuval_probe_module_v1(void);

#ifdef __cplusplus
}
#endif

#endif /* GPUVAL_PROBES_PROBE_ABI_H */
