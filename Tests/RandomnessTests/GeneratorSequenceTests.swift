import XCTest
@testable import Randomness

/// The generators reproduce the sequences of their authors' reference C implementations
/// (splitmix64.c, xoshiro256starstar.c), recomputed here with an independent Python transcription.
final class GeneratorSequenceTests: XCTestCase {
    func testSplitMix64MatchesTheReferenceSequence() {
        var g = SplitMix64(seed: 1_234_567)
        let expected: [UInt64] = [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
                                  4_593_380_528_125_082_431, 16_408_922_859_458_223_821]
        XCTAssertEqual((0..<5).map { _ in g.next() }, expected)
    }

    func testXoshiroMatchesTheReferenceSequenceFromAGivenState() {
        var g = Xoshiro256StarStar(state: (1, 2, 3, 4))
        let expected: [UInt64] = [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240, 1_216_172_134_540_287_360,
                                  607_988_272_756_665_600]
        XCTAssertEqual((0..<6).map { _ in g.next() }, expected)
    }

    func testXoshiroIsSeededWithTheFirstFourSplitMixOutputs() {
        var mixer = SplitMix64(seed: 42)
        var direct = Xoshiro256StarStar(state: (mixer.next(), mixer.next(), mixer.next(), mixer.next()))
        var seeded = Xoshiro256StarStar(seed: 42)
        XCTAssertEqual((0..<8).map { _ in seeded.next() }, (0..<8).map { _ in direct.next() })
    }

    func testUniformsStayInTheUnitInterval() {
        var g = Xoshiro256StarStar(seed: 7)
        let draws = (0..<10_000).map { _ in g.uniformDouble() }
        XCTAssertTrue(draws.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = draws.reduce(0, +) / Double(draws.count)
        XCTAssertLessThan(abs(mean - 0.5), 0.02)
    }

    func testBelowStaysInRange() {
        var g = SplitMix64(seed: 3)
        let draws = (0..<1000).map { _ in g.below(7) }
        XCTAssertTrue(draws.allSatisfy { (0..<7).contains($0) })
        XCTAssertEqual(Set(draws).count, 7)
        XCTAssertEqual(g.below(0), 0)
    }
}
