import Foundation

/// Where the hostile inputs live, and `infer-cli` run the way an attacker's input would meet it.
enum HostileFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/hostile")
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/models")
}

struct BoundedRun {
    let status: Int32
    let reason: Process.TerminationReason
    let stdout: String
    let stderr: String
    let seconds: Double
}

/// Runs the built `infer-cli` under `prlimit --as=8G` with a 20-second timeout (killed after it).
func runBounded(_ arguments: [String], stdin: Data? = nil) throws -> BoundedRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
    let cli = Bundle.main.bundleURL.appendingPathComponent("infer-cli").path
    process.arguments = ["--as=8589934592", cli] + arguments
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    let start = Date()
    try process.run()
    let deadline = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + 20, execute: deadline)
    if let stdin {
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
    }
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    deadline.cancel()
    return BoundedRun(
        status: process.terminationStatus, reason: process.terminationReason,
        stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self),
        seconds: Date().timeIntervalSince(start))
}
