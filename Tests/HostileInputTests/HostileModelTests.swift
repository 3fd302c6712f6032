import Foundation
import XCTest

/// The hostile ONNX models of `Fixtures/hostile` (see its generate.py) through `infer-cli run`, as
/// an attacker's file would arrive: each must end in a clean error naming the problem, or run, within
/// 20 seconds and an 8 GB address space, never in a signal.
final class HostileModelTests: XCTestCase {
    struct Expectation: Decodable {
        let expect: String
        let mention: String?
    }

    func testEveryHostileModelFailsCleanlyOrRuns() throws {
        let root = HostileFixtures.root
        let data = try Data(contentsOf: root.appendingPathComponent("expected.json"))
        let cases = try JSONDecoder().decode([String: Expectation].self, from: data)
        XCTAssertGreaterThanOrEqual(cases.count, 20)
        for (name, expectation) in cases.sorted(by: { $0.key < $1.key }) {
            let directory = root.appendingPathComponent(name)
            let inputs = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasPrefix("input_") }.sorted().map { directory.appendingPathComponent($0).path }
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(getpid())").path
            let result = try runBounded(
                ["run", directory.appendingPathComponent("model.onnx").path] + inputs + ["--output-dir", output])
            XCTAssertEqual(result.reason, .exit, "\(name): ended by a signal\n\(result.stderr)")
            XCTAssertLessThan(result.seconds, 20, "\(name): took \(result.seconds) s")
            if expectation.expect == "ok" {
                XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
            } else {
                XCTAssertEqual(result.status, 2, "\(name): \(result.stderr)")
                XCTAssertTrue(result.stderr.hasPrefix("infer-cli: "), "\(name): \(result.stderr)")
                if let mention = expectation.mention {
                    XCTAssertTrue(
                        result.stderr.contains(mention), "\(name): message lacks '\(mention)': \(result.stderr)")
                }
            }
        }
    }
}
