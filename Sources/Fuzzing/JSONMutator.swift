import Foundation

/// Mutations of JSON files (config.json, vocab.json, adapter_config.json, trainer_state.json, a
/// safetensors header): a value replaced by one of another type or an edge value (true for a
/// count, 5.5 for an id, 2^40, 1e308, null, a list, a long string), a key removed, or the text
/// itself damaged so that it no longer parses.
public enum JSONMutator {
    static var replacements: [Any] { [true, false, NSNull(), 5.5, -1, 0, 1, 1 << 40, 1e308, -1e308, "x", "", [Any](), [String: Any](),
                                      String(repeating: "z", count: 100_000), [[[[[[1]]]]]], 9_007_199_254_740_993.0, Int.max] }

    public static func mutate(_ bytes: [UInt8], _ rng: inout FuzzRandom) -> [UInt8] {
        guard rng.chance(0.8), var root = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else {
            return ByteMutator.mutate(bytes, &rng)
        }
        for _ in 0..<(1 + rng.below(2)) { root = mutateValue(root, &rng, depth: 0) }
        guard JSONSerialization.isValidJSONObject(root) || root is String || root is NSNumber,
              let data = try? JSONSerialization.data(withJSONObject: root, options: [.fragmentsAllowed]) else { return bytes }
        return Array(data)
    }

    /// Replaces one value somewhere under `value` (going deeper at random).
    static func mutateValue(_ value: Any, _ rng: inout FuzzRandom, depth: Int) -> Any {
        if var object = value as? [String: Any], !object.isEmpty, depth < 6 {
            let key = object.keys.sorted()[rng.below(object.count)]
            switch rng.below(5) {
            case 0: object.removeValue(forKey: key)
            case 1: object[key] = rng.pick(replacements)
            default: object[key] = mutateValue(object[key] as Any, &rng, depth: depth + 1)
            }
            return object
        }
        if var list = value as? [Any], !list.isEmpty, depth < 6 {
            let i = rng.below(list.count)
            switch rng.below(5) {
            case 0: list.remove(at: i)
            case 1: list.append(list[i])
            default: list[i] = mutateValue(list[i], &rng, depth: depth + 1)
            }
            return list
        }
        if let number = value as? NSNumber, rng.chance(0.5) {
            return rng.pick([number.doubleValue + 1, number.doubleValue * 2, -number.doubleValue, number.doubleValue + 0.5, 0] as [Any])
        }
        return rng.pick(replacements)
    }
}
