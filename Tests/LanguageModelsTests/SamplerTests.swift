import XCTest
@testable import LanguageModels
import Tensors

/// The sampler decides rows in parallel; what it returns must be what deciding them one by one, in
/// order, with the same generator gives, whatever the thread count.
final class SamplerTests: XCTestCase {
    static let (rowCount, vocabulary) = (64, 5003)  // rows × vocabulary above the parallel threshold

    static func logits(seed: UInt64) -> [Float] {
        var g = RandomGenerator(seed: seed)
        return (0..<(rowCount * vocabulary)).map { _ in g.uniform(-4, 4) }
    }

    static func states() -> [SamplingState] { (0..<rowCount).map { SamplingState(row: $0, generated: []) } }

    func testParallelRowsMatchDecidingThemInOrder() throws {
        let sampler = Sampler.standard(temperature: 0.7, topK: 50, penalties: [TokenPenalty(tokens: [3, 4], penalty: -5)])
        let input = Self.logits(seed: 1)
        // One row at a time, with the generator's draws in row order.
        var expected: [(Int, Float, Float)] = []
        var reference = RandomGenerator(seed: 7)
        for r in 0..<Self.rowCount {
            var row = Array(input[(r * Self.vocabulary)..<((r + 1) * Self.vocabulary)])
            let one = try sampler.choose(logits: &row, vocabulary: Self.vocabulary, rows: [0], states: [Self.states()[r]],
                                         termination: 2, using: &reference)
            expected.append((one[0].token, one[0].logProb, one[0].terminationLogProb))
        }
        let saved = KernelThreads.count
        defer { KernelThreads.set(saved) }
        for threads in [1, 2, 3] {
            KernelThreads.set(threads)
            var logits = input
            var g = RandomGenerator(seed: 7)
            let got = try sampler.choose(logits: &logits, vocabulary: Self.vocabulary, rows: Array(0..<Self.rowCount),
                                         states: Self.states(), termination: 2, using: &g)
            XCTAssertEqual(got.map(\.token), expected.map(\.0), "\(threads) thread(s)")
            XCTAssertEqual(got.map(\.logProb), expected.map(\.1), "\(threads) thread(s)")
            XCTAssertEqual(got.map(\.terminationLogProb), expected.map(\.2), "\(threads) thread(s)")
            XCTAssertEqual(g.next(), reference.next(), "the generator must advance by one draw per row")
            reference = RandomGenerator(seed: 7)
            for _ in 0..<Self.rowCount { _ = reference.uniformDouble() }
        }
    }

    func testTheFirstFailingRowIsReported() throws {
        var logits = Self.logits(seed: 2)
        for r in [41, 9] {
            for i in (r * Self.vocabulary)..<((r + 1) * Self.vocabulary) { logits[i] = -.infinity }
        }
        var g = RandomGenerator(seed: 1)
        XCTAssertThrowsError(try Sampler().choose(logits: &logits, vocabulary: Self.vocabulary, rows: Array(0..<Self.rowCount),
                                 states: Self.states(), termination: nil, using: &g)) { error in
            XCTAssertTrue("\(error)".contains("row 9"), "\(error)")
        }
    }
}
