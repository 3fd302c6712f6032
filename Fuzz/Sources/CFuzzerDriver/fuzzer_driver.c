// The declaration in include/fuzzer_driver.h is all there is: -sanitize=fuzzer links libFuzzer.
#include "fuzzer_driver.h"
