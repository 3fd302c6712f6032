import Foundation
import XCTest

/// The built `infer-cli` next to the test bundle.
let cliBinary = Bundle.main.bundleURL.appendingPathComponent("infer-cli")

/// Runs `infer-cli` as a process, the way scripts do: arguments, bytes on stdin, and what comes back.
func runCLI(_ arguments: [String], stdin: Data? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let result = try runCLIBytes(arguments, stdin: stdin)
    return (result.status, String(decoding: result.stdout, as: UTF8.self), result.stderr)
}

/// ``runCLI(_:stdin:)`` with stdout as raw bytes (binary output such as `.npy`).
func runCLIBytes(_ arguments: [String], stdin: Data? = nil) throws -> (status: Int32, stdout: Data, stderr: String) {
    let process = Process()
    process.executableURL = cliBinary
    process.arguments = arguments
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try process.run()
    if let stdin {
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
    }
    let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, stdout, String(decoding: stderr, as: UTF8.self))
}

/// Runs the built `infer-cli` as a process, the way scripts do.
final class CLITests: XCTestCase {

    func testVersion() throws {
        let result = try runCLI(["--version"])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "infer-cli 0.1.0")
    }

    func testHelpListsEverySubcommand() throws {
        let result = try runCLI(["--help"])
        XCTAssertEqual(result.status, 0)
        for name in ["classify", "embed", "generate", "run", "serve", "inspect", "tokenize", "detokenize", "bench"] {
            XCTAssertTrue(result.stdout.contains("  \(name) "), "help lacks \(name):\n\(result.stdout)")
        }
    }

    func testUsageErrorsExit2() throws {
        let result = try runCLI(["no-such-command"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("no-such-command"), result.stderr)
    }

    func testSubcommandHelpShowsAnExample() throws {
        let result = try runCLI(["generate", "--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("Example: infer-cli generate"), result.stdout)
    }
}
