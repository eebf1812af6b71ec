import Foundation
import XCTest
import LanguageModels
import ModelFormats
import Tensors

/// Hugging Face folders damaged on purpose (from the byte-level GPT-2 fixture): each is refused with
/// the tensor, key or file named, never loaded into a model that only fails later.
final class DamagedCheckpointLoadingTests: XCTestCase {
    /// A copy of Tests/Fixtures/byte_gpt2 in scratch space.
    func copyOfFixture(_ name: String) throws -> URL {
        let dir = try TestPaths.scratchDirectory(name)
        let source = TestPaths.fixtures.appendingPathComponent("byte_gpt2")
        for file in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: dir.appendingPathComponent(file))
        }
        return dir
    }

    func loadError(_ dir: URL) -> String? {
        do { _ = try PretrainedModel.load(dir.path) } catch { return "\(error)" }
        return nil
    }

    func testTheUndamagedCopyLoads() throws {
        XCTAssertNil(loadError(try copyOfFixture("byte-gpt2-intact")))
    }

    func testANonFiniteWeightIsNamedAtLoad() throws {
        for (label, bad) in [("nan", Float.nan), ("inf", Float.infinity)] {
            let dir = try copyOfFixture("byte-gpt2-\(label)")
            let path = dir.appendingPathComponent("model.safetensors").path
            let checkpoint = try SafetensorsCheckpoint(path: path)
            let target = try XCTUnwrap(checkpoint.tensorNames.first { $0.hasSuffix("h.1.mlp.c_fc.weight") })
            let tensors = try checkpoint.tensorNames.map { name in
                var values = try checkpoint.floats(name)
                if name == target { values[7] = bad }
                return SafetensorsWriter.Tensor(name: name, shape: try XCTUnwrap(checkpoint.tensorInfo(name)).shape, values: values)
            }
            try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: path)
            let message = try XCTUnwrap(loadError(dir))
            XCTAssertTrue(message.contains("tensor '\(target)' holds 1 non-finite value") && message.contains("at element 7"), "\(message)")
        }
    }

    func testUntiedEmbeddingsWithoutAnOutputHeadIsAnError() throws {
        let dir = try copyOfFixture("byte-gpt2-untied")
        let configURL = dir.appendingPathComponent("config.json")
        var config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        config["tie_word_embeddings"] = false
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        let message = try XCTUnwrap(loadError(dir))
        XCTAssertTrue(message.contains("tie_word_embeddings is false") && message.contains("'lm_head.weight'"), "\(message)")
    }

    func testAMissingMergesFileIsNamed() throws {
        for missing in ["merges.txt", "vocab.json"] {
            let dir = try copyOfFixture("byte-gpt2-no-\(missing)")
            try FileManager.default.removeItem(at: dir.appendingPathComponent(missing))
            let message = try XCTUnwrap(loadError(dir))
            XCTAssertTrue(message.hasPrefix(dir.appendingPathComponent(missing).path + ": missing"), "\(message)")
        }
    }

    func testANonFiniteAdapterWeightIsRefused() throws {
        let model = try Transformer.random(ModelConfig.tiny(family: .llama), seed: 4)
        try model.addAdapters(LoRAConfiguration(rank: 2, alpha: 4, targetModules: ["q_proj"], seed: 1))
        let dir = try TestPaths.scratchDirectory("peft-inf").path
        try PEFTAdapterFile.save(model, to: dir)
        let path = dir + "/adapter_model.safetensors"
        let file = try SafetensorsFile(path: path)
        let tensors = try file.tensorNames.map { name in
            var values = try file.floats(name)
            if name.hasSuffix("layers.1.self_attn.q_proj.lora_A.weight") { values[3] = -.infinity }
            return SafetensorsWriter.Tensor(name: name, shape: try XCTUnwrap(file.tensorInfo(name)).shape, values: values)
        }
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: path + ".new")
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: path + ".new", toPath: path)
        model.removeAdapters()
        XCTAssertThrowsError(try PEFTAdapterFile.load(dir, into: model)) { error in
            XCTAssertTrue("\(error)".contains("layers.1.self_attn.q_proj.lora_A.weight' holds -inf"), "\(error)")
        }
    }

    func testAMissingAbsolutePathIsPrintedAsGiven() throws {
        let message = try XCTUnwrap(loadError(URL(fileURLWithPath: "/nonexistent/gfn/model.gguf")))
        XCTAssertTrue(message.contains("/nonexistent/gfn/model.gguf does not exist") && !message.contains("//"), "\(message)")
    }
}
