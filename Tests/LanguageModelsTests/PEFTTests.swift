import Foundation
import XCTest
import LanguageModels
import ModelFormats
import Tensors

final class PEFTTests: XCTestCase {
    /// gfn → PEFT layout → gfn gives the same adapters and logits (both families).
    func testSaveAndLoadRoundTrip() throws {
        for family in [ArchitectureFamilyCase.llama, .gpt2] {
            let config = ModelConfig.tiny(family: family.value)
            let m = try Transformer.random(config, seed: 4)
            try m.addAdapters(LoRAConfiguration(rank: 3, alpha: 6, dropout: 0.1, targetModules: Array(config.projectionNames.prefix(2)), seed: 9))
            var g = RandomGenerator(seed: 1)
            for a in m.adapters { try a.b.assign(Tensor.randomNormal(a.b.shape, standardDeviation: 0.3, using: &g)) }
            let dir = try TestPaths.scratchDirectory("peft-\(family)").path
            try PEFTAdapterFile.save(m, to: dir)
            let keys = try SafetensorsFile(path: dir + "/adapter_model.safetensors").tensorNames
            let firstKey = family == .llama ? "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"
                                            : "base_model.model.transformer.h.0.attn.c_attn.lora_A.weight"
            XCTAssertTrue(keys.contains(firstKey), "\(family)")
            let ids = [[1, 2, 3, 4]]
            let expected = try m.logits(ids).scalars
            m.removeAdapters()
            try PEFTAdapterFile.load(dir, into: m)
            XCTAssertTrue(m.loraConfiguration?.rank == 3 && m.loraConfiguration?.dropout == 0.1, "\(family)")
            XCTAssertEqual(try m.logits(ids).scalars, expected, "\(family)")
            m.removeAdapters()
            let other = try Transformer.random(.tiny(family: family.value, width: 16, feedForward: 32), seed: 4)
            XCTAssertThrowsError(try PEFTAdapterFile.load(dir, into: other), "\(family)") { XCTAssertTrue($0 is LanguageModelError, "\(family): \($0)") }
        }
    }

    /// The committed adapter (written by `gfn-bench lm --write-peft-adapter`: r = 1 on q_proj, v_proj,
    /// seeded nonzero B) on SmolLM2 gives PEFT's logits (Tests/Fixtures/peft_logits.json from
    /// scripts/fixtures/make_peft_fixture.py); disabled, the base model's.
    func testSmolLM2MatchesPEFT() throws {
        let fixture = try TestPaths.fixtureJSON("peft_logits.json")
        let cases = try XCTUnwrap(fixture["cases"] as? [[String: Any]])
        try SharedModel.withModel { model in
            let m = model.transformer
            try PEFTAdapterFile.load(TestPaths.fixtures.appendingPathComponent("peft_adapter").path, into: m)
            XCTAssertTrue(m.adapters.count == 60 && m.adapters.allSatisfy { $0.b.scalars.contains { $0 != 0 } })
            var worst: Float = 0
            let v = m.config.vocabularySize
            for c in cases {
                let ids = try XCTUnwrap(c["ids"] as? [Int])
                for (enabled, idKey, logitKey) in [(true, "top_ids", "top_logits"), (false, "base_top_ids", "base_top_logits")] {
                    let topIDs = try XCTUnwrap(c[idKey] as? [[Int]]), topLogits = try XCTUnwrap(c[logitKey] as? [[Double]])
                    let logits = try m.withAdapters(enabled: enabled) { try m.logits([ids]).scalars }
                    for t in 0..<ids.count {
                        let row = logits[(t * v)..<((t + 1) * v)]
                        XCTAssertEqual(topIndices(row, 10), Array(topIDs[t].prefix(10)))
                        for (j, id) in topIDs[t].enumerated() { worst = max(worst, abs(row[row.startIndex + id] - Float(topLogits[t][j]))) }
                    }
                }
            }
            print("SmolLM2 + adapter vs PEFT: max |Δ| = \(worst) (tolerance 1e-3)")
            XCTAssertLessThan(worst, 1e-3)
        }
    }
}
