import Foundation
import XCTest
import Tokenizers

/// Tokenizer files damaged on purpose: each is refused with the field named, never loaded degraded.
final class DamagedTokenizerFileTests: XCTestCase {
    func temporary(_ name: String, _ contents: String) throws -> String {
        let path = TestPaths.scratchFile(name)
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A GGUF whose merges array was emptied would split every word into bytes.
    func testEmptyMergesWithMultiByteTokensIsAnError() throws {
        XCTAssertThrowsError(try BPETokenizer(ggufModel: "gpt2", preTokenizerName: "gpt-2", tokens: ["a", "b", "ab"], merges: [],
                                   tokenTypes: [1, 1, 1], bosTokenID: nil, eosTokenID: nil, unknownTokenID: nil,
                                   paddingTokenID: nil, file: "m.gguf")) { error in
            let e = error as? TokenizerError
            XCTAssertTrue(e?.field == "merges" && e?.file == "m.gguf" && e?.detail.contains("token 2 (\"ab\")") == true, "\(error)")
        }
        // A vocabulary of single bytes (plus whole special tokens) needs no merges.
        let bytes = try BPETokenizer(ggufModel: "gpt2", preTokenizerName: "gpt-2", tokens: ["a", "b", "<|end|>"], merges: [],
                                     tokenTypes: [1, 1, 3], bosTokenID: nil, eosTokenID: nil, unknownTokenID: nil, paddingTokenID: nil)
        XCTAssertEqual(bytes.encode("ab"), [0, 1])
    }

    func testAMegabyteBadMergeLineIsCutInTheMessage() throws {
        let vocab = try temporary("vocab-long.json", #"{"a": 0, "b": 1, "ab": 2}"#)
        let line = String(repeating: "x", count: 1_000_000)
        let merges = try temporary("merges-long.txt", "a b\n\(line)\n")
        XCTAssertThrowsError(try BPETokenizer.load(vocabularyJSON: vocab, merges: merges)) { error in
            let e = error as? TokenizerError
            XCTAssertTrue(e?.field == "merge 1" && (e?.description.count ?? .max) < 400 && e?.detail.contains("(1000000 bytes)") == true, "\(error)")
        }
    }

    func testVocabularyIDsMustBeWholeNumbers() throws {
        let merges = try temporary("merges-ids.txt", "a b\n")
        for (name, json) in [("half", #"{"a": 0, "b": 1, "ab": 5.5}"#), ("bool", #"{"a": 0, "b": true, "ab": 2}"#)] {
            let vocab = try temporary("vocab-\(name).json", json)
            XCTAssertThrowsError(try BPETokenizer.load(vocabularyJSON: vocab, merges: merges)) { error in
                let e = error as? TokenizerError
                XCTAssertTrue(e?.file == vocab && e?.field.hasPrefix("vocabulary") == true && e?.detail.contains("whole-number id") == true, "\(error)")
            }
        }
    }
}
