import Foundation
import Kernels

/// Restarts the process once with OPENBLAS_CORETYPE set when OpenBLAS did not recognise
/// this CPU (see `BLASCoreType`); the variable only takes effect when the library loads.
func relaunchWithTunedBLASIfNeeded() {
    guard let core = BLASCoreType.recommendedOverride() else { return }
    setenv("OPENBLAS_CORETYPE", core, 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // execv only returns on failure; carry on with the generic kernels.
}
