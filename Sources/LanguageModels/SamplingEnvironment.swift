/// An environment that takes part in sampling (docs/method.md §4.5, the calculator): after each
/// action of a row (a sampled token that is not a stop token) it may insert tokens into the row's
/// state. Inserted tokens are not actions: they carry no log P_F, are never sampled, do not count
/// toward the maximum length, and the next action is drawn from the state that includes them.
public protocol SamplingEnvironment: AnyObject {
    /// The tokens to insert after the action just taken, given the row's prompt and everything
    /// generated so far (actions and earlier insertions, interleaved, the new action last);
    /// [] inserts nothing. Called once per action, rows in order.
    func insertion(prompt: [Int], generated: [Int]) throws -> [Int]
}

/// Actions and the tokens inserted after some of them, interleaved into the state's tokens.
public enum InterleavedState {
    /// `actions` with `insertions[t]` placed right after `actions[t]`.
    public static func tokens(actions: [Int], insertions: [Int: [Int]]) -> [Int] {
        guard !insertions.isEmpty else { return actions }
        var out: [Int] = []
        out.reserveCapacity(actions.count + insertions.values.reduce(0) { $0 + $1.count })
        for (t, a) in actions.enumerated() {
            out.append(a)
            if let inserted = insertions[t] { out += inserted }
        }
        return out
    }

    /// For t = 0…n, how many state tokens the first t actions and their insertions make.
    public static func lengths(actions: Int, insertions: [Int: [Int]]) -> [Int] {
        var lengths = [0]
        lengths.reserveCapacity(actions + 1)
        for t in 0..<actions { lengths.append(lengths[t] + 1 + (insertions[t]?.count ?? 0)) }
        return lengths
    }
}
