import CBLAS

#if canImport(Glibc)
    import Glibc
#endif

/// Which OpenBLAS kernel set runs, and the fix for a build that picked too weak a one.
///
/// OpenBLAS chooses its kernels when the library loads. Builds older than the CPU (Debian 12
/// ships 0.3.21) fall back to the SSE3 "Prescott" kernels on processors they do not recognise,
/// which runs sgemm 4-5x slower than the AVX-512 kernels the CPU supports. The choice can only be
/// changed through `OPENBLAS_CORETYPE` before the library loads, so executables call
/// ``restartWithTunedKernelsIfNeeded()`` first thing: it sets the variable and re-executes the
/// process once. A value the user already set is always respected.
public enum BLASRuntime {
    /// The kernel set OpenBLAS is running (e.g. "SkylakeX", "Haswell", "Prescott").
    public static var coreName: String {
        openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }

    /// OpenBLAS's build description.
    public static var configuration: String {
        openblas_get_config().map { String(cString: $0) } ?? "unknown"
    }

    /// Kernel sets without AVX: what OpenBLAS falls back to on CPUs it does not know.
    static let genericCores: Set<String> = [
        "prescott", "katmai", "coppermine", "northwood", "banias", "core2", "penryn",
        "dunnington", "nehalem", "atom", "unknown",
    ]

    /// The kernel set to ask for, given the CPU's feature flags and the one OpenBLAS chose;
    /// nil when OpenBLAS's own choice should stand.
    public static func recommendedCoreType(cpuFlags: Set<String>, chosen: String) -> String? {
        guard genericCores.contains(chosen.lowercased()) else { return nil }
        if ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"].allSatisfy(cpuFlags.contains) {
            return "SkylakeX"
        }
        if ["avx2", "fma"].allSatisfy(cpuFlags.contains) { return "Haswell" }
        if cpuFlags.contains("avx") { return "SandyBridge" }
        return nil
    }

    /// The CPU feature flags from /proc/cpuinfo (empty elsewhere).
    public static func cpuFlags() -> Set<String> {
        guard let file = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            guard let line else { break }
            let text = String(cString: line)
            if text.hasPrefix("flags") {
                return Set(
                    text.split(separator: ":", maxSplits: 1).last?.split(whereSeparator: { $0 == " " || $0 == "\n" })
                        .map(String.init) ?? [])
            }
        }
        return []
    }

    /// Re-executes the current process with `OPENBLAS_CORETYPE` set when OpenBLAS picked a
    /// generic kernel set on a CPU that supports a faster one. Returns (doing nothing) when the
    /// variable is already set, when nothing better exists, or when re-executing fails.
    public static func restartWithTunedKernelsIfNeeded() {
        guard getenv("OPENBLAS_CORETYPE") == nil, getenv("INFER_BLAS_RESTARTED") == nil else { return }
        guard let core = recommendedCoreType(cpuFlags: cpuFlags(), chosen: coreName) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("INFER_BLAS_RESTARTED", "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Still here: the exec failed; carry on with the kernels we have.
        unsetenv("OPENBLAS_CORETYPE")
    }
}
