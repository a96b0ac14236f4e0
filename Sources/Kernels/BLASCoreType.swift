import CBLAS
import Foundation

/// OpenBLAS builds with DYNAMIC_ARCH pick their kernels from the CPU model number. A CPU
/// newer than the build (Debian 12 ships 0.3.21; e.g. Emerald Rapids, model 207) falls
/// back to the generic SSE3 "Prescott" kernels, five times slower than the AVX-512 ones
/// the CPU supports. The choice is made when the library loads, from OPENBLAS_CORETYPE.
public enum BLASCoreType {
    /// The kernel set OpenBLAS chose at load time.
    public static var current: String { String(cString: openblas_get_corename()) }

    /// The kernel set to ask for instead, when OpenBLAS fell back to a generic one that
    /// this CPU outgrows and the user has not chosen one; nil otherwise.
    public static func recommendedOverride(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil else { return nil }
        let genericCores: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai", "coppermine", "northwood", "banias"]
        guard genericCores.contains(current.lowercased()) else { return nil }
        let flags = cpuFlags()
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    private static func cpuFlags() -> Set<String> {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":")
        else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
