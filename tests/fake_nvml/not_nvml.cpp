// A shared library named libnvidia-ml.so.1 that is not NVML (none of its entry points): what a
// wrong file on the library path looks like to gpuval.
extern "C" int gpuval_not_nvml_marker() { return 42; }
