import Testing
import EditDistance

@Suite struct EditDistanceTests {
    @Test func countsInsertionsDeletionsAndSubstitutions() {
        #expect(editDistance([Int](), []) == 0)
        #expect(editDistance([1, 2, 3], []) == 3)
        #expect(editDistance([], [1, 2, 3]) == 3)
        #expect(editDistance([1, 2, 3], [1, 2, 3]) == 0)
        #expect(editDistance([1, 2, 3], [1, 3]) == 1)
        #expect(editDistance([1, 2, 3, 4], [2, 1, 3, 5]) == 3)   // a swap costs two substitutions, plus one
        #expect(editDistance([5, 6, 7, 8, 9, 10], [5, 7, 8, 11, 9, 10, 12]) == 3)
        #expect(editDistance("kitten", "sitting") == 3)
    }

    @Test func isSymmetric() {
        let pairs: [(String, String)] = [("flaw", "lawn"), ("gfn", ""), ("reward", "rewards"), ("abc", "cab")]
        for (a, b) in pairs {
            #expect(editDistance(a, b) == editDistance(b, a))
            #expect(editDistance(a, b, transpositions: true) == editDistance(b, a, transpositions: true))
        }
    }

    @Test func transpositionsCountAdjacentSwapsAsOneEdit() {
        #expect(editDistance("ab", "ba") == 2)
        #expect(editDistance("ab", "ba", transpositions: true) == 1)
        #expect(editDistance("apend", "append", transpositions: true) == 1)
        #expect(editDistance("stpes", "steps", transpositions: true) == 1)
        #expect(editDistance("stpes", "steps") == 2)
        // Optimal string alignment: a swapped pair is not edited again, so "ca" → "abc" takes 3, not 2.
        #expect(editDistance("ca", "abc", transpositions: true) == 3)
    }
}
