// OpenBLAS's CBLAS interface (Debian: libopenblas-dev).
#include <cblas.h>

// LAPACK's symmetric eigen-solver, which libopenblas carries (declared here: Debian's
// libopenblas-dev ships no lapack.h on the default include path).
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w,
             float *work, const int *lwork, int *iwork, const int *liwork, int *info);
