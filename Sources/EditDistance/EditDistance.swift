/// The edit distance between two sequences: the fewest insertions, deletions and substitutions of
/// one element that turn `a` into `b`, and with `transpositions` also swaps of two adjacent elements
/// (the optimal-string-alignment distance, which suits typos). O(|a|·|b|) time, O(|b|) memory.
///
/// The one edit distance of gfn: the replay buffer's near-duplicate test and the edit diversity of
/// samples (token ids), and the language's "did you mean" (characters).
@inlinable
public func editDistance<C: Collection>(_ a: C, _ b: C, transpositions: Bool = false) -> Int where C.Element: Equatable {
    let x = Array(a), y = Array(b)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var beforePrevious = [Int](repeating: 0, count: y.count + 1)
    var previous = Array(0...y.count)
    var current = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        current[0] = i
        for j in 1...y.count {
            let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
            current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            if transpositions, i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                current[j] = min(current[j], beforePrevious[j - 2] + 1)
            }
        }
        (beforePrevious, previous, current) = (previous, current, beforePrevious)
    }
    return previous[y.count]
}
