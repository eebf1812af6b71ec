import Foundation
import XCTest
import ModelFormats
import Tokenizers

/// Loads each tokenizer once for all tests (the SmolLM2 one from the GGUF file's metadata).
enum LoadedTokenizers {
    static let smolLM2: Result<BPETokenizer, Error> = Result { try loadSmolLM2(preTokenizerName: nil) }
    /// The same vocabulary with GPT-2's pre-tokenizer: what transformers builds from the GGUF file.
    static let smolLM2AsTransformersLoadsIt: Result<BPETokenizer, Error> = Result { try loadSmolLM2(preTokenizerName: "gpt-2") }

    static func loadSmolLM2(preTokenizerName: String?) throws -> BPETokenizer {
        let file = try GGUFFile(path: TestPaths.smollm2)
        let meta = try file.tokenizerMetadata()
        return try BPETokenizer(ggufModel: meta.model, preTokenizerName: preTokenizerName ?? meta.preTokenizer, tokens: meta.tokens,
                                merges: meta.merges, tokenTypes: meta.tokenTypes, bosTokenID: meta.bosTokenID,
                                eosTokenID: meta.eosTokenID, unknownTokenID: meta.unknownTokenID,
                                paddingTokenID: meta.paddingTokenID, file: file.path)
    }

    static let gpt2: Result<BPETokenizer, Error> = Result {
        try BPETokenizer.load(vocabularyJSON: TestPaths.models.appendingPathComponent("gpt2-tokenizer/encoder.json").path,
                              merges: TestPaths.models.appendingPathComponent("gpt2-tokenizer/vocab.bpe").path)
    }
    static let miniLM: Result<WordPieceTokenizer, Error> = Result {
        try WordPieceTokenizer.load(vocabularyFile: TestPaths.models.appendingPathComponent("all-MiniLM-L6-v2/vocab.txt").path)
    }
    nonisolated(unsafe) static let fixture: Result<[String: Any], Error> = Result { try TestPaths.fixtureJSON("tokenizer_cases.json") }

    static func cases(_ key: String) throws -> [[String: Any]] {
        guard let cases = try fixture.get()[key] as? [[String: Any]], !cases.isEmpty else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return cases
    }
}

final class TokenizerFixtureTests: XCTestCase {
    func check(_ tokenizer: BPETokenizer, _ key: String) throws {
        let cases = try LoadedTokenizers.cases(key)
        var mismatches = 0
        for c in cases {
            let text = try XCTUnwrap(c["text"] as? String)
            let expected = try XCTUnwrap(c["ids"] as? [Int])
            let ids = tokenizer.encode(text)
            if ids != expected {
                mismatches += 1
                XCTFail("\(key) \(text.debugDescription): got \(ids), reference \(expected)")
            }
            XCTAssertEqual(try tokenizer.decode(expected), c["decoded"] as? String, "\(key) decode \(text.debugDescription)")
            // Every case is valid UTF-8 text, so decoding its ids gives the text back exactly.
            XCTAssertEqual(try tokenizer.decode(ids), text, "\(key) round trip \(text.debugDescription)")
        }
        print("\(key): \(cases.count - mismatches) of \(cases.count) cases match the reference ids")
    }

    func testSmolLM2MatchesTransformers() throws {
        let tokenizer = try LoadedTokenizers.smolLM2.get()
        XCTAssertTrue(tokenizer.vocabularySize == 49152 && tokenizer.mergeCount == 48900)
        XCTAssertTrue(tokenizer.preTokenizer == .digitsThenGPT2 && tokenizer.specialTokenIDs.count == 17)
        XCTAssertTrue(tokenizer.eosTokenID == 2 && tokenizer.id(of: "<|im_start|>") == 1)
        try check(tokenizer, "smollm2")
    }

    /// transformers' GGUF loader drops SmolLM2's Digits pre-tokenizer step; with GPT-2's split, we match it too.
    func testSmolLM2WithGPT2SplitMatchesTransformersGGUFLoader() throws {
        let tokenizer = try LoadedTokenizers.smolLM2AsTransformersLoadsIt.get()
        XCTAssertEqual(tokenizer.preTokenizer, .gpt2)
        try check(tokenizer, "smollm2_transformers_gguf")
    }

    func testGpt2MatchesTransformers() throws {
        let tokenizer = try LoadedTokenizers.gpt2.get()
        XCTAssertTrue(tokenizer.vocabularySize == 50257 && tokenizer.eosTokenID == 50256)
        try check(tokenizer, "gpt2")
        XCTAssertGreaterThan(tokenizer.encode("a<|endoftext|>b", parseSpecialTokens: false).count, 3)
    }

    func testMiniLMWordPieceMatchesTransformers() throws {
        let tokenizer = try LoadedTokenizers.miniLM.get()
        let cases = try LoadedTokenizers.cases("minilm")
        var mismatches = 0
        for c in cases {
            let text = try XCTUnwrap(c["text"] as? String)
            let expected = try XCTUnwrap(c["ids"] as? [Int])
            let ids = tokenizer.encode(text, maxLength: 256)
            if ids != expected {
                mismatches += 1
                XCTFail("minilm \(text.debugDescription): got \(ids), reference \(expected)")
            }
        }
        print("minilm: \(cases.count - mismatches) of \(cases.count) cases match the reference ids")
        let fromJSON = try WordPieceTokenizer.load(
            tokenizerJSON: TestPaths.models.appendingPathComponent("all-MiniLM-L6-v2/tokenizer.json").path)
        for c in cases.prefix(40) {
            let text = try XCTUnwrap(c["text"] as? String)
            XCTAssertEqual(fromJSON.encode(text, maxLength: 256), c["ids"] as? [Int], "tokenizer.json: \(text.debugDescription)")
        }
        XCTAssertEqual(try tokenizer.decode(tokenizer.encode("Hello, world! It's fine.")), "hello, world! it's fine.")
    }

    func testChatTemplateMatchesTransformers() throws {
        let tokenizer = try LoadedTokenizers.smolLM2.get()
        let file = try GGUFFile(path: TestPaths.smollm2)
        let jinja = try XCTUnwrap(try file.tokenizerMetadata().chatTemplate)
        let template = try XCTUnwrap(ChatTemplate(jinja: jinja))
        XCTAssertEqual(template, .smolLM2)
        for c in try LoadedTokenizers.cases("chat") {
            let messages = try XCTUnwrap(c["messages"] as? [[String: String]]).map {
                ChatMessage(role: $0["role"] ?? "", content: $0["content"] ?? "")
            }
            let generation = try XCTUnwrap(c["add_generation_prompt"] as? Bool)
            let text = template.render(messages, addGenerationPrompt: generation)
            XCTAssertEqual(text, c["text"] as? String)
            XCTAssertEqual(tokenizer.encode(text), c["ids"] as? [Int])
        }
    }
}

/// The prompts of the model fixtures were tokenised in Python; our tokenizers must give the same ids.
final class ModelFixturePromptTests: XCTestCase {
    func testSmolLM2LogitPromptsTokeniseAlike() throws {
        let tokenizer = try LoadedTokenizers.smolLM2.get()
        let cases = try XCTUnwrap(try TestPaths.fixtureJSON("smollm2_logits.json")["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 6)
        for c in cases {
            let prompt = try XCTUnwrap(c["prompt"] as? String)
            XCTAssertEqual(tokenizer.encode(prompt), c["ids"] as? [Int], "\(prompt.debugDescription)")
        }
    }

    func testMiniLMEmbeddingSentencesTokeniseAlike() throws {
        let tokenizer = try LoadedTokenizers.miniLM.get()
        let cases = try XCTUnwrap(try TestPaths.fixtureJSON("minilm_embeddings.json")["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 10)
        for c in cases {
            let text = try XCTUnwrap(c["text"] as? String)
            XCTAssertEqual(tokenizer.encode(text, maxLength: 256), c["ids"] as? [Int], "\(text.debugDescription)")
        }
    }
}
