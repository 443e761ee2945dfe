// Only the declaration in include/CFuzzer.h: the definition is in libFuzzer, linked by -sanitize=fuzzer.
#include "CFuzzer.h"
