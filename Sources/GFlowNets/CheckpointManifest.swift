import Foundation
import ModelFormats

/// `manifest.json` of a checkpoint directory: the SHA-256 and size of every other file in it,
/// written last (after every file it covers, to a temporary name then renamed), and checked
/// before a resume reads anything. A flipped byte in the adapters or the optimizer moments, a
/// truncated or edited file, or a missing one is then an error naming the file, not a run that
/// silently continues from damaged state.
public enum CheckpointManifest {
    static let fileName = "manifest.json"

    struct Entry: Codable, Equatable {
        var sha256: String
        var bytes: Int
    }

    struct Contents: Codable {
        var format: String
        var files: [String: Entry]
    }

    static let format = "gfn-checkpoint-sha256-v1"

    /// Hashes every regular file under `directory` (except the manifest) and writes the manifest.
    public static func write(in directory: URL) throws {
        var files: [String: Entry] = [:]
        for relative in try regularFiles(under: directory) where relative != fileName {
            let data = try Data(contentsOf: directory.appendingPathComponent(relative))
            files[relative] = Entry(sha256: SHA256.hex(data), bytes: data.count)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let temporary = directory.appendingPathComponent(fileName + ".tmp")
        try encoder.encode(Contents(format: format, files: files)).write(to: temporary)
        let target = directory.appendingPathComponent(fileName)
        guard rename(temporary.path, target.path) == 0 else {
            throw GFlowNetError("checkpoint", "cannot write \(target.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Checks every file the manifest lists; throws naming the first that is missing or differs.
    public static func verify(_ directory: URL, context: String) throws {
        let url = directory.appendingPathComponent(fileName)
        guard let data = try? Data(contentsOf: url) else {
            throw GFlowNetError(context, "\(directory.path) has no \(fileName), so its files cannot be checked: the checkpoint was not completely written")
        }
        let contents: Contents
        do { contents = try JSONDecoder().decode(Contents.self, from: data) } catch {
            throw GFlowNetError(context, "\(url.path) is damaged: \(decodingFailureMessage(error))")
        }
        guard contents.format == format else {
            throw GFlowNetError(context, "\(url.path): unknown manifest format \"\(contents.format.prefix(60))\" (\(format) expected)")
        }
        for (relative, expected) in contents.files.sorted(by: { $0.key < $1.key }) {
            let file = directory.appendingPathComponent(relative)
            guard !relative.split(separator: "/").contains(".."), let bytes = try? Data(contentsOf: file) else {
                throw GFlowNetError(context, "\(file.path) is missing: the checkpoint is incomplete")
            }
            guard bytes.count == expected.bytes, SHA256.hex(bytes) == expected.sha256 else {
                throw GFlowNetError(context, "\(file.path) does not match its SHA-256 in \(fileName): the file was damaged or changed after the checkpoint was written")
            }
        }
    }

    /// Paths of the regular files under `directory`, relative to it, sorted.
    static func regularFiles(under directory: URL) throws -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        func walk(_ relative: String) throws {
            let url = relative.isEmpty ? directory : directory.appendingPathComponent(relative)
            for name in try fm.contentsOfDirectory(atPath: url.path).sorted() {
                let child = relative.isEmpty ? name : relative + "/" + name
                var isDirectory: ObjCBool = false
                guard fm.fileExists(atPath: directory.appendingPathComponent(child).path, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue { try walk(child) } else { out.append(child) }
            }
        }
        try walk("")
        return out
    }
}
