/* The narrow, versioned C ABI between gpuval and its run-time loaded probe modules
 * (libgpuval_probe_cublas.so, libgpuval_probe_cudnn.so). A module links the library it probes
 * (cuBLAS, cuDNN); gpuval dlopens the module, so an image without that library, or with a broken
 * one, fails to load one module and still runs every other check.
 *
 * Contract:
 *  - The module exports one symbol, GPUVAL_PROBE_ENTRY_SYMBOL, returning a pointer to a static
 *    gpuval_probe_module. gpuval refuses a module whose abi_version differs from its own or whose
 *    struct_size is smaller than the one it knows.
 *  - run() never throws and never aborts: every failure is reported in the JSON it returns.
 *  - The JSON text is allocated by the module and released with the module's free_result().
 *  - Adding fields at the END of either struct is compatible (struct_size tells); anything else
 *    bumps GPUVAL_PROBE_ABI_VERSION.
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

typedef struct gpuval_probe_module {
  uint32_t abi_version; /* GPUVAL_PROBE_ABI_VERSION the module was built with */
  uint32_t struct_size; /* sizeof(gpuval_probe_module) as the module knows it */
  const char* name;     /* "cublas", "cudnn" */
  /* Runs the probe; returns NUL-terminated JSON (see above), or NULL only if even that could not
   * be allocated. */
  char* (*run)(const gpuval_probe_request* request);
  void (*free_result)(char* result);
} gpuval_probe_module;

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
