// libFuzzer's entry point for a program with its own main (compiler-rt, LLVM 11 and later).
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test)(const uint8_t *data, size_t size));
