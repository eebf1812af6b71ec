import Foundation

/// A Hugging Face checkpoint's weights: one `model.safetensors`, or shards listed by
/// `model.safetensors.index.json` (`{"weight_map": {"tensor name": "shard file name"}}`).
/// Each shard is opened (mapped) once; tensors are looked up by name across shards.
public final class SafetensorsCheckpoint: @unchecked Sendable {
    /// The shard files, in name order.
    public let shards: [SafetensorsFile]
    private let shardOfTensor: [String: Int]

    /// Opens `path`: a directory (holding model.safetensors or model.safetensors.index.json), an index file,
    /// or a single .safetensors file.
    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelFormatError(.unreadable, file: path, field: "file", "no such file or directory")
        }
        var target = path
        if isDirectory.boolValue {
            let single = (path as NSString).appendingPathComponent("model.safetensors")
            let index = (path as NSString).appendingPathComponent("model.safetensors.index.json")
            if FileManager.default.fileExists(atPath: index) {
                target = index
            } else if FileManager.default.fileExists(atPath: single) {
                target = single
            } else {
                throw ModelFormatError(.missingField, file: path, field: "model.safetensors",
                                       "the directory holds neither model.safetensors nor model.safetensors.index.json")
            }
        }
        if target.hasSuffix(".json") {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: target)) } catch {
                throw ModelFormatError(.unreadable, file: target, field: "file", "cannot read: \(error.localizedDescription)")
            }
            guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = root["weight_map"] as? [String: Any] else {
                throw ModelFormatError(.badJSON, file: target, field: "weight_map", "expected an object of tensor name → shard file")
            }
            let directory = (target as NSString).deletingLastPathComponent
            var shardNames: [String: String] = [:]
            for (tensor, value) in map {
                guard let shard = value as? String, !shard.contains("/"), !shard.isEmpty else {
                    throw ModelFormatError(.badJSON, file: target, field: "weight_map.\(tensor)", "expected a shard file name")
                }
                shardNames[tensor] = shard
            }
            let names = Set(shardNames.values).sorted()
            let files = try names.map { try SafetensorsFile(path: (directory as NSString).appendingPathComponent($0)) }
            let indexOfShard = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
            var shardOf: [String: Int] = [:]
            for (tensor, shard) in shardNames {
                guard let i = indexOfShard[shard] else { continue }
                guard files[i].tensorInfo(tensor) != nil else {
                    throw ModelFormatError(.missingField, file: files[i].path, field: "tensor '\(tensor)'",
                                           "the index places it in this shard, which does not hold it")
                }
                shardOf[tensor] = i
            }
            shards = files
            shardOfTensor = shardOf
        } else {
            let file = try SafetensorsFile(path: target)
            shards = [file]
            var shardOf: [String: Int] = [:]
            for name in file.tensorNames { shardOf[name] = 0 }
            shardOfTensor = shardOf
        }
    }

    /// All tensor names, sorted.
    public var tensorNames: [String] { shardOfTensor.keys.sorted() }

    public func tensorInfo(_ name: String) -> SafetensorsTensorInfo? {
        shardOfTensor[name].flatMap { shards[$0].tensorInfo(name) }
    }

    /// The file that holds `name`.
    public func shard(of name: String) throws -> SafetensorsFile {
        guard let i = shardOfTensor[name] else {
            throw ModelFormatError(.missingField, file: shards.first?.path ?? "", field: "tensor '\(name)'",
                                   "no tensor of this name in the checkpoint")
        }
        return shards[i]
    }

    /// A floating-point tensor as Float32, row-major.
    public func floats(_ name: String) throws -> [Float] {
        try shard(of: name).floats(name)
    }
}
