import Foundation
import XCTest

/// Runs the built `infer-cli` as a process, the way scripts do.
final class CLITests: XCTestCase {
    private var binary: URL { Bundle.main.bundleURL.appendingPathComponent("infer-cli") }

    private func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    func testVersion() throws {
        let result = try run(["--version"])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "infer-cli 0.1.0")
    }

    func testHelpListsEverySubcommand() throws {
        let result = try run(["--help"])
        XCTAssertEqual(result.status, 0)
        for name in ["classify", "generate", "embed", "run", "inspect", "tokenize", "detokenize", "bench"] {
            XCTAssertTrue(result.stdout.contains("  \(name) "), "help lacks \(name):\n\(result.stdout)")
        }
    }

    func testSubcommandsNotYetBuiltSaySoAndExit2() throws {
        for name in ["classify", "generate", "embed", "run", "inspect", "tokenize", "detokenize", "bench"] {
            let result = try run([name, "model.onnx", "--some-flag", "1"])
            XCTAssertEqual(result.status, 2, name)
            XCTAssertTrue(result.stderr.contains("infer-cli \(name): not implemented yet"), result.stderr)
            XCTAssertEqual(result.stdout, "", "stdout stays clean")
        }
    }

    func testUsageErrorsExit2() throws {
        let result = try run(["no-such-command"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("no-such-command"), result.stderr)
    }

    func testSubcommandHelpShowsAnExample() throws {
        let result = try run(["generate", "--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("Example: infer-cli generate"), result.stdout)
    }
}
