/// The largest absolute difference between two equally long arrays; infinity when their lengths
/// differ, so a missing or extra element fails every tolerance.
public func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    var m: Float = 0
    for i in a.indices { m = max(m, abs(a[i] - b[i])) }
    return m
}
