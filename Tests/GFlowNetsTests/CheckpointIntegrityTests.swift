import XCTest
import Foundation
import LanguageModels
import ModelFormats
import Tensors
@testable import GFlowNets

/// Checkpoints carry manifest.json, the SHA-256 of every file, written last; a resume checks it
/// before reading anything, so damage after the write is an error naming the file, and every JSON
/// failure is told in gfn's words.
final class CheckpointIntegrityTests: XCTestCase {
    static let letters = Array("⊤abcde")

    func makeTrainer(seed: UInt64 = 3) throws -> SupervisedTrainer {
        let config = ModelConfig.tiny(family: .llama, layers: 1, heads: 2, width: 16, feedForward: 32, vocabulary: 6, context: 16)
        let model = try Transformer.random(config, seed: seed, standardDeviation: 0.3)
        try model.addAdapters(LoRAConfiguration(rank: 4, alpha: 8, targetModules: ["q_proj", "v_proj"], seed: 1))
        let policy = try LanguageModelPolicy(model: model, terminationToken: 0, decode: { String($0.map { Self.letters[$0] }) })
        var c = SupervisedConfiguration()
        c.batchSize = 2
        c.optimization.learningRate = 0.01
        c.optimization.seed = 3
        let examples = (1...4).map { SupervisedExample(prompt: [1], completion: [$0, ($0 % 5) + 1]) }
        return try SupervisedTrainer(policy: policy, examples: examples, configuration: c)
    }

    /// A checkpoint after two steps, in its own scratch folder.
    func writeCheckpoint(_ name: String) throws -> URL {
        let dir = try TestPaths.scratchDirectory(name).appendingPathComponent("checkpoint")
        let trainer = try makeTrainer()
        trainer.checkpointDirectory = dir
        try trainer.fit(steps: 2)
        return dir
    }

    func resumeError(_ dir: URL) throws -> String? {
        do { try makeTrainer(seed: 9).resume(from: dir) } catch { return "\(error)" }
        return nil
    }

    func testTheManifestListsEveryFileWithItsDigest() throws {
        let dir = try writeCheckpoint("manifest-intact")
        let manifest = try JSONDecoder().decode(CheckpointManifest.Contents.self,
                                                from: Data(contentsOf: dir.appendingPathComponent("manifest.json")))
        XCTAssertEqual(manifest.files.keys.sorted(), ["adapter/adapter_config.json", "adapter/adapter_model.safetensors",
                                                      "optimizer.safetensors", "trainer_state.json"])
        for (file, entry) in manifest.files {
            let data = try Data(contentsOf: dir.appendingPathComponent(file))
            XCTAssertEqual(entry.bytes, data.count, file)
            XCTAssertEqual(entry.sha256, SHA256.hex(data), file)
        }
        XCTAssertNil(try resumeError(dir))
    }

    /// One byte of tensor data flipped (the last byte of each file is inside its last tensor).
    func testAFlippedByteInAdaptersOrOptimizerStateIsDetected() throws {
        for file in ["adapter/adapter_model.safetensors", "optimizer.safetensors"] {
            let dir = try writeCheckpoint("flip-\(file.replacingOccurrences(of: "/", with: "-"))")
            let url = dir.appendingPathComponent(file)
            var bytes = try Data(contentsOf: url)
            bytes[bytes.count - 2] ^= 0x01
            try bytes.write(to: url)
            // The flipped file still parses: only the checksum can tell.
            XCTAssertNoThrow(try SafetensorsFile(path: url.path))
            let message = try XCTUnwrap(try resumeError(dir))
            XCTAssertTrue(message.contains(url.path) && message.contains("does not match its SHA-256"), message)
        }
    }

    func testADamagedAdapterConfigurationIsDetected() throws {
        let dir = try writeCheckpoint("damaged-adapter-config")
        let url = dir.appendingPathComponent("adapter/adapter_config.json")
        try Data("{\"r\": 4, \"target_modules\": [\"q_proj\"".utf8).write(to: url)
        let message = try XCTUnwrap(try resumeError(dir))
        XCTAssertTrue(message.contains("adapter_config.json does not match its SHA-256"), message)

        // Consistent with the manifest but not with the model: the configuration itself is checked.
        try Data("{\"r\": 8, \"target_modules\": [\"q_proj\", \"v_proj\"]}".utf8).write(to: url)
        try CheckpointManifest.write(in: dir)
        let rank = try XCTUnwrap(try resumeError(dir))
        XCTAssertTrue(rank.contains("adapter_config.json: \"r\" is 8, the attached adapters have rank 4"), rank)
    }

    func testMissingOrDamagedManifestIsAnError() throws {
        let dir = try writeCheckpoint("no-manifest")
        let manifest = dir.appendingPathComponent("manifest.json")
        try Data("{\"format\": 3}".utf8).write(to: manifest)
        let damaged = try XCTUnwrap(try resumeError(dir))
        XCTAssertTrue(damaged.contains("manifest.json is damaged: field 'format' should be a string"), damaged)
        try FileManager.default.removeItem(at: manifest)
        let missing = try XCTUnwrap(try resumeError(dir))
        XCTAssertTrue(missing.contains("has no manifest.json"), missing)
        let dropped = try writeCheckpoint("file-missing")
        try FileManager.default.removeItem(at: dropped.appendingPathComponent("optimizer.safetensors"))
        let gone = try XCTUnwrap(try resumeError(dropped))
        XCTAssertTrue(gone.contains("optimizer.safetensors is missing"), gone)
    }

    /// A trainer state of the wrong shape (its manifest rewritten to match) is told in words.
    func testJSONFailuresAreToldInGfnsWords() throws {
        let dir = try writeCheckpoint("bad-state")
        let state = dir.appendingPathComponent("trainer_state.json")
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: state)) as? [String: Any])
        json["step"] = "two"
        try JSONSerialization.data(withJSONObject: json).write(to: state)
        try CheckpointManifest.write(in: dir)
        let wrongType = try XCTUnwrap(try resumeError(dir))
        XCTAssertTrue(wrongType.contains("trainer_state.json is not a trainer state: field 'step' should be a whole number"), wrongType)
        json.removeValue(forKey: "step")
        try JSONSerialization.data(withJSONObject: json).write(to: state)
        try CheckpointManifest.write(in: dir)
        let missing = try XCTUnwrap(try resumeError(dir))
        XCTAssertTrue(missing.contains("field 'step' is missing"), missing)
        try Data("{not json".utf8).write(to: state)
        try CheckpointManifest.write(in: dir)
        let garbage = try XCTUnwrap(try resumeError(dir))
        XCTAssertTrue(garbage.contains("the file is not valid JSON"), garbage)
        for message in [wrongType, missing, garbage] {
            XCTAssertFalse(message.contains("DecodingError") || message.contains("CodingKeys") || message.contains("debugDescription"), message)
        }
    }

    /// Found by `gfn-bench fuzz` (checkpoint+manifest/trainer_state.json, seed 1, case 190): step
    /// 2^63 − 1 resumed, then trapped on the next step's increment.
    func testImpossibleCountersAreRefused() throws {
        let dir = try writeCheckpoint("huge-step")
        let state = dir.appendingPathComponent("trainer_state.json")
        let original = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: state)) as? [String: Any])
        for (key, value) in [("step", Int.max), ("optimizerSteps", -1), ("skippedSteps", 5)] {
            var json = original
            json[key] = value
            try JSONSerialization.data(withJSONObject: json).write(to: state)
            try CheckpointManifest.write(in: dir)
            let message = try XCTUnwrap(try resumeError(dir), "\(key) = \(value) was accepted")
            XCTAssertTrue(message.contains("trainer_state.json: ") && (message.contains("'\(key)'") || message.contains("skipped steps of only")), message)
        }
    }

    func testANonFiniteAdapterWeightIsRefused() throws {
        let dir = try writeCheckpoint("nan-adapter")
        let url = dir.appendingPathComponent("adapter/adapter_model.safetensors")
        let file = try SafetensorsFile(path: url.path)
        let tensors = try file.tensorNames.map { name in
            var values = try file.floats(name)
            if name.hasSuffix("q_proj.lora_B.weight") { values[0] = .nan }
            return SafetensorsWriter.Tensor(name: name, shape: try XCTUnwrap(file.tensorInfo(name)).shape, values: values)
        }
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: url.path + ".new")
        try FileManager.default.removeItem(at: url)
        try FileManager.default.moveItem(atPath: url.path + ".new", toPath: url.path)
        try CheckpointManifest.write(in: dir)
        let message = try XCTUnwrap(try resumeError(dir))
        XCTAssertTrue(message.contains("q_proj.lora_B.weight in ") && message.contains("holds nan"), message)
    }

    func testAReplayBufferOfTheWrongShapeIsToldInWords() throws {
        let url = URL(fileURLWithPath: TestPaths.scratchFile("bad-replay.json"))
        try Data("{\"capacity\": \"many\"}".utf8).write(to: url)
        XCTAssertThrowsError(try ReplayBuffer.load(from: url)) { error in
            XCTAssertTrue("\(error)".contains("is not a replay buffer: field '"), "\(error)")
            XCTAssertFalse("\(error)".contains("CodingKeys"), "\(error)")
        }
    }
}
