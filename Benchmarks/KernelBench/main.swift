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
                return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
                    ?? ""
            }
            return ""
        }
        let flags = Set(field("flags").split(separator: " ").map(String.init))
        let lanes = flags.contains("avx512f") ? 16 : flags.contains("avx2") ? 8 : 4
        return CPUPeak(model: field("model name"), megahertz: Double(field("cpu MHz")) ?? 0, lanes: lanes)
    }
}

/// Times `first` and `second` alternately (so clock and load drift hit both alike) until
/// `budget` seconds pass; returns the fastest run of each in seconds.
func measurePair(budget: Double, _ first: () -> Void, _ second: () -> Void) -> (first: Double, second: Double) {
    first()
    second()
    var best = (Double.infinity, Double.infinity)
    var runs = 0
    let start = now()
    while runs < 3 || now() - start < budget {
        var t0 = now()
        first()
        best.0 = min(best.0, now() - t0)
        t0 = now()
        second()
        best.1 = min(best.1, now() - t0)
        runs += 1
    }
    return best
}

func log(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

BLASRuntime.restartWithTunedKernelsIfNeeded()
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

print(
    "CPU: \(peak.model), \(String(format: "%.0f", peak.megahertz)) MHz, fp32 peak \(String(format: "%.1f", peak.gflops(threads: 1))) GFLOP/s per core (\(peak.flopsPerCycle) FLOP/cycle: 2 FMA pipes x \(peak.lanes) lanes x 2)"
)
print("OpenBLAS: \(BLASRuntime.configuration), kernel \(BLASRuntime.coreName)")
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
        let ta = try Tensor(shape: [n, n], scalars: a), tb = try Tensor(shape: [n, n], scalars: b)
        // OpenBLAS threaded by itself, against Tensor.matmul, which keeps OpenBLAS on one thread
        // and splits the product over the compute pool.
        let (direct, wrapped) = measurePair(
            budget: budget,
            {
                openblas_set_num_threads(Int32(threads))
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b,
                    Int32(n), 0, &c, Int32(n))
                openblas_set_num_threads(1)
            }, { _ = try? Tensor.matmul(ta, tb) })
        let flops = 2 * Double(n) * Double(n) * Double(n)
        let directRate = flops / direct * 1e-9, wrappedRate = flops / wrapped * 1e-9
        print(
            "| \(n) | \(threads) | \(String(format: "%.1f", directRate)) | \(String(format: "%.1f", wrappedRate)) | \(String(format: "%.3f", wrappedRate / directRate)) | \(String(format: "%.2f", wrappedRate / peak.gflops(threads: threads))) |"
        )
    }
}

print("")
print("| elementwise, 16M float32 | threads | GB/s | vs memcpy (1 thread, same run) |")
print("|---|---|---|---|")
let count = 16 << 20
let x = try Tensor(shape: [count], scalars: (0..<count).map { Float($0 & 1023) })
let y = try Tensor(shape: [count], scalars: (0..<count).map { Float($0 & 511) })
let source = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
let target = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
source.initializeMemory(as: UInt8.self, repeating: 1, count: count * 4)
target.initializeMemory(as: UInt8.self, repeating: 0, count: count * 4)
ComputePool.configure(threads: 1)
for threads in threadCounts {
    ComputePool.configure(threads: threads)
    for op in [BinaryOp.add, .mul, .max] {
        log("\(op.rawValue) of 16M floats and memcpy of 64 MiB, \(threads) thread(s)...")
        // memcpy is single-threaded: the reference is one core's copy bandwidth.
        let (copy, kernel) = measurePair(
            budget: budget, { memcpy(target, source, count * 4) }, { _ = try? Tensor.binary(op, x, y) })
        let copyRate = Double(2 * count * 4) / copy * 1e-9, rate = Double(3 * count * 4) / kernel * 1e-9
        print(
            "| \(op.rawValue) (2 reads + 1 write, fresh output) | \(threads) | \(String(format: "%.1f", rate)) | memcpy \(String(format: "%.1f", copyRate)) GB/s: \(String(format: "%.2f", rate / copyRate)) |"
        )
    }
}

print("")
print("| unary, 16M float32 | threads | Melem/s | GB/s (1 read + 1 write) |")
print("|---|---|---|---|")
for threads in threadCounts {
    ComputePool.configure(threads: threads)
    for op in [UnaryOp.relu, .exp, .log, .tanh, .sigmoid, .erf] {
        log("\(op.rawValue) of 16M floats, \(threads) thread(s)...")
        let positive = op == .log ? try Tensor.binary(.add, x, Tensor(scalar: Float(1))) : x
        let scaled = try Tensor.binary(.mul, positive, Tensor(scalar: Float(op == .log ? 1 : 0.01)))
        let (time, _) = measurePair(budget: budget, { _ = try? scaled.unary(op) }, {})
        print(
            "| \(op.rawValue) | \(threads) | \(String(format: "%.0f", Double(count) / time * 1e-6)) | \(String(format: "%.1f", Double(2 * count * 4) / time * 1e-9)) |"
        )
    }
}
