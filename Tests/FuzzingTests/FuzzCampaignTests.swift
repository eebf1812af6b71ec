import Foundation
import XCTest
import TestFixtures
@testable import Fuzzing

/// A short fuzz campaign on every target, in-process (seconds; the long ones are `gfn-bench fuzz`,
/// docs/reliability.md): every case must end accepted, in a clean error or at the time limit;
/// a crash fails the test by ending the process. Then every saved reproducer is replayed.
final class FuzzCampaignTests: XCTestCase {
    static let catalog = FuzzTargetCatalog(repositoryRoot: TestPaths.root,
                                           scratch: URL(fileURLWithPath: TestPaths.scratchFile("fuzz")))

    /// Cases per target: enough to reach every mutation kind, few enough for CI.
    static let casesPerTarget: [String: Int] = ["script": 300, "gguf": 60]

    func testShortCampaign() throws {
        for name in FuzzTargetCatalog.names {
            let target = try Self.catalog.make(name)
            let cases = Self.casesPerTarget[name] ?? 25
            let tally = try FuzzCampaign(target: target, seed: 20261204, timeLimit: 5).run(0..<cases)
            print("fuzz \(name): \(cases) cases: " + FuzzOutcome.allCases.map { "\($0.rawValue) \(tally[$0])" }.joined(separator: ", "))
            XCTAssertEqual(tally.runs, cases, "\(name)")
            XCTAssertTrue(tally[FuzzOutcome.crash] == 0 && tally[FuzzOutcome.hang] == 0, "\(name): \(tally.counts)")
            // Mutants are mostly refused: a campaign where nothing fails would be testing nothing.
            XCTAssertGreaterThan(tally[FuzzOutcome.cleanError], 0, "\(name): no mutant was refused")
        }
    }

    func testCasesAreReproducibleFromTheirIndex() throws {
        let target = try Self.catalog.make("gguf")
        let campaign = FuzzCampaign(target: target, seed: 7, timeLimit: 5)
        XCTAssertEqual(campaign.input(ofCase: 12), campaign.input(ofCase: 12))
        XCTAssertNotEqual(campaign.input(ofCase: 12), campaign.input(ofCase: 13))
    }

    /// Tests/Fixtures/fuzz-reproducers: inputs that once crashed or hung gfn, each named
    /// <target>--<what>.<ext>; every one must now end accepted or in a clean error.
    func testSavedReproducersEndCleanly() throws {
        let folder = TestPaths.fixtures.appendingPathComponent("fuzz-reproducers")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted()
        XCTAssertFalse(files.isEmpty)
        for file in files {
            let url = folder.appendingPathComponent(file)
            let name = try XCTUnwrap(FuzzTargetCatalog.targetName(ofReproducer: url), "\(file) is not named <target>--…")
            let (outcome, message) = try Self.catalog.make(name).run(Array(Data(contentsOf: url)), timeLimit: 5)
            XCTAssertTrue(outcome == .accepted || outcome == .cleanError, "\(file): \(outcome) \(message ?? "")")
            print("reproducer \(file): \(outcome.rawValue): \(message?.split(separator: "\n").first ?? "")")
        }
    }
}
