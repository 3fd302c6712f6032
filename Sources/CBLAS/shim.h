// OpenBLAS (CBLAS interface plus openblas_set_num_threads) and LAPACKE, from Debian's
// libopenblas-dev and liblapacke-dev.
#include <cblas.h>
#include <lapacke.h>
