// kernel-bench: TensorCore kernel figures next to their reference in the same run.
//
//   swift run -c release kernel-bench [--quick] [--threads 1,2]
//
// sgemm through Tensor.matmul against cblas_sgemm called directly (same OpenBLAS, same
// thread count), as GFLOP/s and as a fraction of this CPU's fp32 peak; elementwise add on
// 16M floats against memcpy of the same bytes, as GB/s. Progress goes to stderr, the table
// (markdown) to stdout.
import CBLAS
import Foundation
import TensorCore

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// Runs `body` after one warm-up until `budget` seconds pass (at least `minimumRuns` times);
/// returns the fastest and the median run in seconds.
func measure(budget: Double, minimumRuns: Int = 3, _ body: () -> Void) -> (best: Double, median: Double) {
    body()
    var times: [Double] = []
    let start = now()
    while times.count < minimumRuns || now() - start < budget {
        let t0 = now()
        body()
        times.append(now() - t0)
    }
    times.sort()
    return (times[0], times[times.count / 2])
}

/// What the CPU can do in fp32, from /proc/cpuinfo: cores x clock x FLOPs per cycle.
struct CPUPeak {
    let model: String
    let megahertz: Double
    let lanes: Int
    /// Two FMA pipes per core (Skylake-SP and later Xeons, Zen 2+): 2 pipes x 2 FLOPs x lanes.
    var flopsPerCycle: Int { 2 * 2 * lanes }
    func gflops(threads: Int) -> Double { megahertz * 1e-3 * Double(flopsPerCycle * threads) }

    static func read() -> CPUPeak {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        func field(_ name: String) -> String {
            for line in info.split(separator: "\n") where line.hasPrefix(name) {
                return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            }
            return ""
        }
        let flags = Set(field("flags").split(separator: " ").map(String.init))
        let lanes = flags.contains("avx512f") ? 16 : flags.contains("avx2") ? 8 : 4
        return CPUPeak(model: field("model name"), megahertz: Double(field("cpu MHz")) ?? 0, lanes: lanes)
    }
}

func log(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

let arguments = CommandLine.arguments
let quick = arguments.contains("--quick")
let threadCounts: [Int] = {
    if let index = arguments.firstIndex(of: "--threads"), index + 1 < arguments.count {
        return arguments[index + 1].split(separator: ",").compactMap { Int($0) }
    }
    return [1, 2]
}()
let budget = quick ? 0.3 : 1.5
let peak = CPUPeak.read()

print("CPU: \(peak.model), \(String(format: "%.0f", peak.megahertz)) MHz, fp32 peak \(String(format: "%.1f", peak.gflops(threads: 1))) GFLOP/s per core (\(peak.flopsPerCycle) FLOP/cycle: 2 FMA pipes x \(peak.lanes) lanes x 2)")
let core = openblas_get_corename().map { String(cString: $0) } ?? "?"
let config = openblas_get_config().map { String(cString: $0) } ?? "?"
print("OpenBLAS: \(config), kernel \(core)")
print("")
print("| sgemm N | threads | OpenBLAS direct GFLOP/s | Tensor.matmul GFLOP/s | wrapper / direct | matmul / fp32 peak |")
print("|---|---|---|---|---|---|")
var rng = SystemRandomNumberGenerator()
for threads in threadCounts {
    ComputePool.configure(threads: threads)
    for n in quick ? [256, 1024] : [256, 1024, 2048] {
        log("sgemm \(n) x \(n), \(threads) thread(s)...")
        let a = (0..<(n * n)).map { _ in Float.random(in: -1...1, using: &rng) }
        let b = (0..<(n * n)).map { _ in Float.random(in: -1...1, using: &rng) }
        var c = [Float](repeating: 0, count: n * n)
        let direct = measure(budget: budget) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
        }
        let ta = try Tensor(shape: [n, n], scalars: a), tb = try Tensor(shape: [n, n], scalars: b)
        let wrapped = measure(budget: budget) { _ = try? Tensor.matmul(ta, tb) }
        let flops = 2 * Double(n) * Double(n) * Double(n)
        let directRate = flops / direct.best * 1e-9, wrappedRate = flops / wrapped.best * 1e-9
        print("| \(n) | \(threads) | \(String(format: "%.1f", directRate)) | \(String(format: "%.1f", wrappedRate)) | \(String(format: "%.3f", wrappedRate / directRate)) | \(String(format: "%.2f", wrappedRate / peak.gflops(threads: threads))) |")
    }
}

print("")
print("| elementwise, 16M float32 | threads | GB/s | fraction of memcpy |")
print("|---|---|---|---|")
let count = 16 << 20
let x = try Tensor(shape: [count], scalars: (0..<count).map { Float($0 & 1023) })
let y = try Tensor(shape: [count], scalars: (0..<count).map { Float($0 & 511) })
let source = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
let target = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
source.initializeMemory(as: UInt8.self, repeating: 1, count: count * 4)
target.initializeMemory(as: UInt8.self, repeating: 0, count: count * 4)
ComputePool.configure(threads: 1)
log("memcpy of 64 MiB...")
let copy = measure(budget: budget) { memcpy(target, source, count * 4) }
let copyRate = Double(2 * count * 4) / copy.best * 1e-9
print("| memcpy 64 MiB (read + write) | 1 | \(String(format: "%.1f", copyRate)) | 1.00 |")
for threads in threadCounts {
    ComputePool.configure(threads: threads)
    log("add of 16M floats, \(threads) thread(s)...")
    let add = measure(budget: budget) { _ = try? Tensor.binary(.add, x, y) }
    let addRate = Double(3 * count * 4) / add.best * 1e-9
    print("| add (2 reads + 1 write, fresh output) | \(threads) | \(String(format: "%.1f", addRate)) | \(String(format: "%.2f", addRate / copyRate)) |")
}
