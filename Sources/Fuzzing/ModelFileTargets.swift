import Foundation
import LanguageModels
import ModelFormats
import Tensors

/// Loads a model as `model("path")` does, then uses it: encodes a prompt and generates three
/// tokens, so damage that loading lets through (weights, ids, sizes) still meets a forward pass.
func loadAndGenerate(_ path: String) throws {
    let model = try PretrainedModel.load(path)
    guard let tokenizer = model.tokenizer else { return }
    var prompt = tokenizer.encode("the cat")
    if prompt.isEmpty { prompt = [0] }
    var generator = RandomGenerator(seed: 1)
    let out = try model.transformer.generate(prompts: [prompt], options: GenerationOptions(maxNewTokens: 3), using: &generator)
    _ = try tokenizer.decode(out.first?.tokens ?? [])
}

/// Times `body`; a thrown error is a clean error, a run over the limit a timeout.
func measured(_ timeLimit: Double, _ body: () throws -> Void) -> (outcome: FuzzOutcome, message: String?) {
    let start = DispatchTime.now().uptimeNanoseconds
    var result: (outcome: FuzzOutcome, message: String?) = (.accepted, nil)
    do { try body() } catch { result = (.cleanError, "\(error)") }
    if Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 > timeLimit { return (.timeout, result.message) }
    return result
}

/// Mutated GGUF files, loaded and used. The seed is `TinyGGUFModel`. Most mutations go to the
/// header (counts, lengths, types), and as many of those to the tensor table (dimensions, types,
/// offsets) as to the metadata, whose token strings would otherwise take nearly all of them.
public final class GGUFTarget: FuzzTarget {
    public let name = "gguf"
    public let fileExtension = ".gguf"
    let seed: [UInt8]
    let header: Range<Int>
    let tensorTable: Range<Int>
    let path: String

    public init(scratch: URL) throws {
        seed = TinyGGUFModel.bytes()
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        path = scratch.appendingPathComponent("case.gguf").path
        try Data(seed).write(to: URL(fileURLWithPath: path))
        header = 0..<(try GGUFFile(path: path).dataOffset)
        let bytes = seed, end = header.upperBound, firstName = Array("token_embd.weight".utf8)
        let tableStart = (0..<(end - firstName.count)).first { Array(bytes[$0..<($0 + firstName.count)]) == firstName } ?? 8
        tensorTable = (tableStart - 8)..<end
    }

    public func makeInput(_ rng: inout FuzzRandom) -> [UInt8] {
        ByteMutator.mutate(seed, &rng, hotRegion: rng.chance(0.5) ? tensorTable : header)
    }

    public func run(_ input: [UInt8], timeLimit: Double) -> (outcome: FuzzOutcome, message: String?) {
        do { try Data(input).write(to: URL(fileURLWithPath: path)) } catch { return (.cleanError, "cannot write the case: \(error)") }
        return measured(timeLimit) { try loadAndGenerate(path) }
    }
}

/// One file of a Hugging Face checkpoint folder (config.json, model.safetensors, vocab.json,
/// merges.txt) mutated, the others intact; the folder is then loaded and used.
public final class HuggingFaceFileTarget: FuzzTarget {
    public let name: String
    public let fileExtension: String
    let file: String
    let seed: [UInt8]
    let folder: URL

    /// `seedFolder` holds the intact checkpoint (e.g. Tests/Fixtures/byte_gpt2); `file` is the one to damage.
    public init(seedFolder: URL, file: String, scratch: URL) throws {
        self.file = file
        name = "hf/" + file
        fileExtension = "." + (file as NSString).pathExtension
        seed = Array(try Data(contentsOf: seedFolder.appendingPathComponent(file)))
        folder = scratch.appendingPathComponent("hf-" + file)
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: seedFolder.path) where name != file {
            try FileManager.default.copyItem(at: seedFolder.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
    }

    public func makeInput(_ rng: inout FuzzRandom) -> [UInt8] {
        switch fileExtension {
        case ".json": return JSONMutator.mutate(seed, &rng)
        case ".txt": return TextMutator.mutateLines(seed, &rng)
        case ".safetensors": return SafetensorsMutator.mutate(seed, &rng)
        default: return ByteMutator.mutate(seed, &rng)
        }
    }

    public func run(_ input: [UInt8], timeLimit: Double) -> (outcome: FuzzOutcome, message: String?) {
        do { try Data(input).write(to: folder.appendingPathComponent(file)) } catch { return (.cleanError, "cannot write the case: \(error)") }
        return measured(timeLimit) { try loadAndGenerate(folder.path) }
    }
}

/// safetensors damage: the JSON header mutated as JSON (and re-framed with its new length), or
/// the bytes mutated with the header as the hot region.
enum SafetensorsMutator {
    static func mutate(_ bytes: [UInt8], _ rng: inout FuzzRandom) -> [UInt8] {
        guard bytes.count >= 8 else { return ByteMutator.mutate(bytes, &rng) }
        var length = 0
        for i in 0..<8 { length |= Int(bytes[i]) << (8 * i) }
        guard length > 0, 8 + length <= bytes.count else { return ByteMutator.mutate(bytes, &rng) }
        if rng.chance(0.5) { return ByteMutator.mutate(bytes, &rng, hotRegion: 0..<(8 + length)) }
        let header = JSONMutator.mutate(Array(bytes[8..<(8 + length)]), &rng)
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out += $0 }
        return out + header + bytes[(8 + length)...]
    }
}
