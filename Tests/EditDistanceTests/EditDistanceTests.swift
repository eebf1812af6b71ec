import XCTest
import EditDistance

final class EditDistanceTests: XCTestCase {
    func testCountsInsertionsDeletionsAndSubstitutions() {
        XCTAssertEqual(editDistance([Int](), []), 0)
        XCTAssertEqual(editDistance([1, 2, 3], []), 3)
        XCTAssertEqual(editDistance([], [1, 2, 3]), 3)
        XCTAssertEqual(editDistance([1, 2, 3], [1, 2, 3]), 0)
        XCTAssertEqual(editDistance([1, 2, 3], [1, 3]), 1)
        XCTAssertEqual(editDistance([1, 2, 3, 4], [2, 1, 3, 5]), 3)   // a swap costs two substitutions, plus one
        XCTAssertEqual(editDistance([5, 6, 7, 8, 9, 10], [5, 7, 8, 11, 9, 10, 12]), 3)
        XCTAssertEqual(editDistance("kitten", "sitting"), 3)
    }

    func testIsSymmetric() {
        let pairs: [(String, String)] = [("flaw", "lawn"), ("gfn", ""), ("reward", "rewards"), ("abc", "cab")]
        for (a, b) in pairs {
            XCTAssertEqual(editDistance(a, b), editDistance(b, a))
            XCTAssertEqual(editDistance(a, b, transpositions: true), editDistance(b, a, transpositions: true))
        }
    }

    func testTranspositionsCountAdjacentSwapsAsOneEdit() {
        XCTAssertEqual(editDistance("ab", "ba"), 2)
        XCTAssertEqual(editDistance("ab", "ba", transpositions: true), 1)
        XCTAssertEqual(editDistance("apend", "append", transpositions: true), 1)
        XCTAssertEqual(editDistance("stpes", "steps", transpositions: true), 1)
        XCTAssertEqual(editDistance("stpes", "steps"), 2)
        // Optimal string alignment: a swapped pair is not edited again, so "ca" → "abc" takes 3, not 2.
        XCTAssertEqual(editDistance("ca", "abc", transpositions: true), 3)
    }
}
