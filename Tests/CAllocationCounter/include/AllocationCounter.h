// Counts heap allocations made by any thread of the test process, so a test can prove
// that a training step allocates no buffer once its buffers are planned.
#include <stddef.h>

void allocation_counter_start(void);
void allocation_counter_stop(void);
long allocation_counter_count(void);
/// The largest single allocation seen while counting, in bytes.
size_t allocation_counter_largest(void);
