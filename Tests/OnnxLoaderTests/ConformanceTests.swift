import Foundation
import TensorCore
import XCTest

@testable import OnnxLoader

/// The ONNX conformance suites: node tests generated from onnx 1.23.2's own case definitions and
/// the model tests that ship in its wheel (`Fixtures/fetch.sh conformance` writes them). Outputs
/// are compared as onnx's backend runner compares them (`assert_allclose`, rtol 1e-3 / atol 1e-7
/// unless the case says otherwise; bfloat16 at least 2^-6). `Fixtures/conformance/expected-failures.txt`
/// lists the cases known to fail, each with its reason: an unexpected failure and an unexpected
/// pass both fail the test, so the list stays honest. Set `INFER_WRITE_EXPECTED_FAILURES=1` to
/// rewrite the list from the current results.
final class ConformanceTests: XCTestCase {
    static let fixtures = FixtureModelTests.root.deletingLastPathComponent().appendingPathComponent("conformance")
    static let generated = fixtures.appendingPathComponent("generated")
    static let expectedFailuresFile = fixtures.appendingPathComponent("expected-failures.txt")

    func testNodeSuite() throws { try runSuite("node") }
    func testSimpleSuite() throws { try runSuite("simple") }
    func testPytorchConvertedSuite() throws { try runSuite("pytorch-converted") }
    func testPytorchOperatorSuite() throws { try runSuite("pytorch-operator") }
    func testLightSuite() throws { try runSuite("light") }

    private func runSuite(_ suite: String) throws {
        let directory = Self.generated.appendingPathComponent(suite)
        guard FileManager.default.fileExists(atPath: directory.path) else {
            throw XCTSkip("run Fixtures/fetch.sh conformance first (the README's test command does)")
        }
        let expected = try Self.expectedFailures()
        var failures: [(String, String)] = []
        var passed = 0
        let cases = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let names = suite == "light" ? cases.filter { $0.hasSuffix(".onnx") }.map { String($0.dropLast(5)) } : cases
        for name in names {
            let outcome =
                suite == "light" ? runLightCase(directory, name) : runCase(directory.appendingPathComponent(name))
            if let reason = outcome { failures.append(("\(suite)/\(name)", reason)) } else { passed += 1 }
        }
        print("conformance suite \(suite) (\(names.count) cases)")
        print("conformance: \(passed) passed, \(failures.count) failed")
        if ProcessInfo.processInfo.environment["INFER_WRITE_EXPECTED_FAILURES"] == "1" {
            try Self.rewriteExpectedFailures(suite: suite, failures: failures)
            return
        }
        let failed = Set(failures.map(\.0))
        let unexpected = failures.filter { expected[$0.0] == nil }
        let unexpectedPasses = expected.keys.filter {
            $0.hasPrefix(suite + "/") && !failed.contains($0) && names.contains(String($0.dropFirst(suite.count + 1)))
        }.sorted()
        for (name, reason) in unexpected.prefix(40) { XCTFail("unexpected failure \(name): \(reason)") }
        if unexpected.count > 40 { XCTFail("... and \(unexpected.count - 40) more unexpected failures") }
        for name in unexpectedPasses { XCTFail("unexpected pass \(name): remove it from expected-failures.txt") }
    }

    /// nil when the case passes, else why not.
    private func runCase(_ directory: URL) -> String? {
        do {
            let session = try InferenceSession(path: directory.appendingPathComponent("model.onnx").path)
            var (rtol, atol) = (1e-3, 1e-7)
            if let text = try? String(contentsOf: directory.appendingPathComponent("tolerance.txt"), encoding: .utf8) {
                let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Double($0) }
                if parts.count == 2 { (rtol, atol) = (parts[0], parts[1]) }
            }
            let sets = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
                $0.hasPrefix("test_data_set_")
            }.sorted()
            for set in sets {
                let folder = directory.appendingPathComponent(set)
                let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
                let inputCount = files.filter { $0.hasPrefix("input_") }.count
                let outputCount = files.filter { $0.hasPrefix("output_") }.count
                let inputs = try (0..<inputCount).map { index in
                    try TensorFile.readValue(
                        path: folder.appendingPathComponent("input_\(index).pb").path,
                        type: index < session.inputs.count ? session.inputs[index].type : nil)
                }
                let outputs = try session.runValues(inputs)
                guard outputs.count == outputCount else { return "\(outputs.count) outputs, expected \(outputCount)" }
                for index in 0..<outputCount {
                    let reference = try TensorFile.readValue(
                        path: folder.appendingPathComponent("output_\(index).pb").path,
                        type: session.outputs[index].type)
                    if let problem = Self.compare(outputs[index], reference, rtol: rtol, atol: atol) {
                        return "output \(index): \(problem)"
                    }
                }
            }
            return nil
        } catch {
            return Self.firstLine("\(error)")
        }
    }

    /// A `light` model: float32 inputs `arange(n) / n` in the declared shape (unknown dims 1).
    private func runLightCase(_ directory: URL, _ name: String) -> String? {
        do {
            let session = try InferenceSession(path: directory.appendingPathComponent(name + ".onnx").path)
            let inputs = try session.inputs.map { info -> Tensor in
                guard case let .tensor(_, shape)? = info.type else {
                    throw OnnxError.inputMismatch(reason: "non-tensor input")
                }
                let dims = (shape ?? []).map { dim -> Int in
                    if case let .value(v) = dim { return v }
                    return 1
                }
                let count = dims.reduce(1, *)
                return try Tensor(shape: dims, scalars: (0..<count).map { Float(Double($0) / Double(count)) })
            }
            let outputs = try session.run(inputs)
            let reference = try TensorFile.read(path: directory.appendingPathComponent(name + "_output_0.pb").path)
                .tensor
            return Self.compare(outputs[0], reference, rtol: 1e-3, atol: 1e-7).map { "output 0: \($0)" }
        } catch {
            return Self.firstLine("\(error)")
        }
    }

    /// Values compare element by element; sequences and optionals structurally.
    static func compare(_ got: Value, _ expected: Value, rtol: Double, atol: Double) -> String? {
        switch (got, expected) {
        case let (.tensor(a), .tensor(b)): return compare(a, b, rtol: rtol, atol: atol)
        case let (.sequence(a), .sequence(b)):
            guard a.count == b.count else { return "sequence of \(a.count), expected \(b.count)" }
            for (i, (x, y)) in zip(a, b).enumerated() {
                if let problem = compare(x, y, rtol: rtol, atol: atol) { return "element \(i): \(problem)" }
            }
            return nil
        case (.optional(nil), .optional(nil)): return nil
        case let (.optional(a?), .optional(b?)): return compare(a, b, rtol: rtol, atol: atol)
        case let (.optional(a?), b): return compare(a, b, rtol: rtol, atol: atol)
        case let (a, .optional(b?)): return compare(a, b, rtol: rtol, atol: atol)
        default: return "got \(got), expected \(expected)"
        }
    }

    /// numpy's `assert_allclose`: same shape and dtype, |a - b| <= atol + rtol |b|, NaN == NaN, infinities equal.
    static func compare(_ got: Tensor, _ expected: Tensor, rtol: Double, atol: Double) -> String? {
        guard got.shape == expected.shape else { return "shape \(got.shape), expected \(expected.shape)" }
        guard got.dtype == expected.dtype else { return "dtype \(got.dtype), expected \(expected.dtype)" }
        if got.dtype == .string {
            return (try? got.stringScalars()) == (try? expected.stringScalars()) ? nil : "strings differ"
        }
        guard let a = try? got.cast(to: .float64).scalars(as: Double.self),
            let b = try? expected.cast(to: .float64).scalars(as: Double.self)
        else {
            return "cannot compare \(got.dtype)"
        }
        if got.dtype.isInteger || got.dtype == .bool, got.dtype == .int64 || got.dtype == .uint64 {
            // 64-bit integers beyond 2^53 do not survive Double: compare exactly.
            let same =
                got.dtype == .int64
                ? (try? got.scalars(as: Int64.self)) == (try? expected.scalars(as: Int64.self))
                : (try? got.scalars(as: UInt64.self)) == (try? expected.scalars(as: UInt64.self))
            return same ? nil : "integer values differ"
        }
        let tolerance = got.dtype == .bfloat16 ? max(rtol, 1.0 / 64) : rtol
        var worst = 0.0, worstIndex = -1
        for i in 0..<a.count {
            let x = a[i], y = b[i]
            if x.isNaN && y.isNaN { continue }
            if x == y { continue }
            let error = abs(x - y)
            if !(error <= atol + tolerance * abs(y)), error >= worst || error.isNaN {
                worst = error.isNaN ? .infinity : error
                worstIndex = i
            }
        }
        guard worstIndex >= 0 else { return nil }
        return "element \(worstIndex) is \(a[worstIndex]), expected \(b[worstIndex]) (rtol \(tolerance), atol \(atol))"
    }

    static func firstLine(_ text: String) -> String {
        let line = text.split(separator: "\n").prefix(2).joined(separator: " ")
        return line.count > 300 ? String(line.prefix(300)) + "..." : line
    }

    /// `suite/case` -> reason, from the committed list (`#` starts a comment line).
    static func expectedFailures() throws -> [String: String] {
        guard let text = try? String(contentsOf: expectedFailuresFile, encoding: .utf8) else { return [:] }
        var result: [String: String] = [:]
        for line in text.split(separator: "\n")
        where !line.hasPrefix("#") && !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard let name = caseName(String(parts[0])) else { continue }
            result[name] = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : ""
        }
        return result
    }

    /// The case a line's first field names, when the line applies here: `suite/case`, or
    /// `suite/case@openblas=CORE` for a failure that only OpenBLAS's CORE kernels cause (the line
    /// counts only when OpenBLAS runs those kernels; on others the case must pass).
    static func caseName(_ field: String) -> String? {
        let parts = field.split(separator: "@", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return field }
        guard parts[1].hasPrefix("openblas=") else { return nil }
        return parts[1].dropFirst("openblas=".count).lowercased() == BLASRuntime.coreName.lowercased() ? parts[0] : nil
    }

    /// Replaces one suite's lines of the expected-failures list with `failures`.
    static func rewriteExpectedFailures(suite: String, failures: [(String, String)]) throws {
        let existing = (try? String(contentsOf: expectedFailuresFile, encoding: .utf8)) ?? ""
        // Lines for one OpenBLAS kernel set are kept as they are (edit them by hand).
        let conditional = existing.split(separator: "\n").map(String.init).filter {
            $0.hasPrefix(suite + "/") && $0.split(separator: " ")[0].contains("@")
        }
        let conditionalCases = Set(conditional.compactMap { caseName(String($0.split(separator: " ")[0])) })
        var lines =
            existing.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter {
                !$0.hasPrefix(suite + "/") && !$0.isEmpty
            }
            + conditional
        if lines.isEmpty {
            lines = [
                "# Conformance cases known to fail, one per line: suite/case, then the reason.",
                "# Rewritten by INFER_WRITE_EXPECTED_FAILURES=1 swift test --filter ConformanceTests; review the diff.",
            ]
        }
        lines += failures.filter { !conditionalCases.contains($0.0) }.map {
            "\($0.0) \($0.1.replacingOccurrences(of: "\n", with: " "))"
        }
        let header = lines.filter { $0.hasPrefix("#") }, body = lines.filter { !$0.hasPrefix("#") }.sorted()
        try (header + body).joined(separator: "\n").appending("\n").write(
            to: expectedFailuresFile, atomically: true, encoding: .utf8)
    }
}
