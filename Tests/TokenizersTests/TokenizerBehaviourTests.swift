import Foundation
import XCTest
import Randomness
import Tokenizers

final class PreTokenizerTests: XCTestCase {
    func pieces(_ text: String, _ pre: PreTokenizer) -> [String] {
        let scalars = text.unicodeScalars.map(\.value)
        var ranges: [Range<Int>] = []
        pre.split(scalars, into: &ranges)
        return ranges.map { r in String(String.UnicodeScalarView(text.unicodeScalars.map { $0 }[r])) }
    }

    func testGpt2Pattern() {
        XCTAssertEqual(pieces("Hello world", .gpt2), ["Hello", " world"])
        XCTAssertEqual(pieces("a   b", .gpt2), ["a", "  ", " b"])
        XCTAssertEqual(pieces("\n\nHi", .gpt2), ["\n", "\n", "Hi"])
        XCTAssertEqual(pieces("x  ", .gpt2), ["x", "  "])
        XCTAssertEqual(pieces("don't I'LL", .gpt2), ["don", "'t", " I", "'", "LL"])
        XCTAssertEqual(pieces("!'s ?!", .gpt2), ["!'", "s", " ?!"])
        XCTAssertEqual(pieces(" 123abc", .gpt2), [" 123", "abc"])
        XCTAssertEqual(pieces("e\u{301}", .gpt2), ["e", "\u{301}"])
    }

    func testDigitsAreIsolatedForSmolLM2() {
        XCTAssertEqual(pieces(" 123abc", .digitsThenGPT2), [" ", "1", "2", "3", "abc"])
        XCTAssertEqual(pieces("a   6", .digitsThenGPT2), ["a", "   ", "6"])
        XCTAssertEqual(pieces("x²", .digitsThenGPT2), ["x", "²"])
    }
}

final class StreamingDecoderTests: XCTestCase {
    func testCharactersSplitAcrossTokensAreHeldBack() {
        var decoder = StreamingDecoder()
        let bytes = Array("a😀é".utf8)  // 61 | F0 9F 98 80 | C3 A9
        var out: [String] = []
        for b in bytes { out.append(decoder.append([b])) }
        XCTAssertEqual(out, ["a", "", "", "", "😀", "", "é"])
        XCTAssertEqual(decoder.finish(), "")
    }

    func testInvalidAndIncompleteBytesBecomeReplacementCharacters() {
        var decoder = StreamingDecoder()
        var text = decoder.append([0x41, 0xFF, 0xE2, 0x82])  // A, invalid, first two bytes of €
        XCTAssertTrue(text == "A\u{FFFD}" && decoder.pendingByteCount == 2)
        text += decoder.append([0x41])  // € broken off by 'A'
        XCTAssertEqual(text, "A\u{FFFD}\u{FFFD}A")
        _ = decoder.append([0xF0, 0x9F])
        XCTAssertEqual(decoder.finish(), "\u{FFFD}")
    }

    /// Feeding the tokens of every fixture text one at a time gives the text back exactly.
    func testTokenByTokenRoundTrip() throws {
        let tokenizer = try LoadedTokenizers.smolLM2.get()
        let texts = try LoadedTokenizers.cases("smollm2").compactMap { $0["text"] as? String }
        var split = 0
        for text in texts {
            var decoder = StreamingDecoder()
            var out = ""
            for id in tokenizer.encode(text) {
                let piece = try decoder.append(token: id, of: tokenizer)
                if piece.isEmpty { split += 1 }
                out += piece
            }
            out += decoder.finish()
            XCTAssertEqual(out, text)
        }
        XCTAssertGreaterThan(split, 0, "the corpus should contain characters split across tokens")
    }

    /// Random byte strings: the streamed text equals one-shot lossy decoding.
    func testRandomBytesMatchOneShotDecoding() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<300 {
            let bytes = (0..<Int(rng.next() % 24)).map { _ in
                let r = rng.next()
                return r % 3 == 0 ? UInt8(truncatingIfNeeded: r >> 8) : Array("é€😀a".utf8)[Int(r >> 8) % 10]
            }
            var decoder = StreamingDecoder()
            var out = ""
            var i = 0
            while i < bytes.count {
                let n = 1 + Int(rng.next() % 3)
                out += decoder.append(bytes[i..<min(bytes.count, i + n)])
                i += n
            }
            out += decoder.finish()
            XCTAssertEqual(out, String(decoding: bytes, as: UTF8.self), "\(bytes)")
        }
    }
}

final class TokenizerLoadingTests: XCTestCase {
    func temporary(_ name: String, _ contents: String) throws -> String {
        let path = TestPaths.scratchFile(name)
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A tokenizer.json written from the GGUF vocabulary (SmolLM2's pipeline) encodes like the GGUF loader.
    func testTokenizerJSONMatchesGGUF() throws {
        let gguf = try LoadedTokenizers.smolLM2.get()
        var vocab: [String: Int] = [:]
        for (id, t) in gguf.tokens.enumerated() where !gguf.specialTokenIDs.contains(id) { vocab[t] = id }
        let added = gguf.specialTokenIDs.sorted().map { ["id": $0, "content": gguf.tokens[$0], "special": true] as [String: Any] }
        let file = TestPaths.models.appendingPathComponent("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
        let merges = try ModelFormatsBridge.merges(file)
        for (i, t) in gguf.tokens.enumerated() where gguf.specialTokenIDs.contains(i) { vocab[t] = i }
        let json: [String: Any] = [
            "added_tokens": added, "normalizer": NSNull(),
            "pre_tokenizer": ["type": "Sequence", "pretokenizers": [["type": "Digits", "individual_digits": true],
                                                                     ["type": "ByteLevel", "add_prefix_space": false]]],
            "model": ["type": "BPE", "vocab": vocab, "merges": merges.map { $0.split(separator: " ").map(String.init) }],
        ]
        let path = TestPaths.scratchFile("tokenizer.json")
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        let loaded = try BPETokenizer.load(tokenizerJSON: path)
        XCTAssertTrue(loaded.preTokenizer == .digitsThenGPT2 && loaded.specialTokenIDs == gguf.specialTokenIDs)
        for c in try LoadedTokenizers.cases("smollm2") {
            let text = try XCTUnwrap(c["text"] as? String)
            XCTAssertEqual(loaded.encode(text), c["ids"] as? [Int], "\(text.debugDescription)")
        }
    }

    func testBadFilesGiveErrorsNamingTheField() throws {
        let vocab = try temporary("vocab.json", #"{"a": 0, "b": 1, "ab": 2}"#)
        let good = try temporary("merges.txt", "#version: 0.2\na b\n")
        let tokenizer = try BPETokenizer.load(vocabularyJSON: vocab, merges: good)
        XCTAssertEqual(tokenizer.encode("abba"), [2, 1, 0])

        let badLine = try temporary("merges-bad.txt", "a b\nab\n")
        XCTAssertThrowsError(try BPETokenizer.load(vocabularyJSON: vocab, merges: badLine)) { error in
            XCTAssertTrue((error as? TokenizerError)?.field == "merge 1", "\(error)")
        }
        let unknown = try temporary("merges-unknown.txt", "a c\n")
        XCTAssertThrowsError(try BPETokenizer.load(vocabularyJSON: vocab, merges: unknown)) { error in
            XCTAssertTrue((error as? TokenizerError)?.description.contains("not in the vocabulary") == true, "\(error)")
        }
        let hole = try temporary("vocab-hole.json", #"{"a": 0, "b": 2}"#)
        XCTAssertThrowsError(try BPETokenizer.load(vocabularyJSON: hole, merges: good)) { error in
            XCTAssertTrue((error as? TokenizerError)?.description.contains("no token has id 1") == true, "\(error)")
        }
        let notJSON = try temporary("vocab-bad.json", "[1, 2")
        XCTAssertThrowsError(try BPETokenizer.load(vocabularyJSON: notJSON, merges: good)) { XCTAssertTrue($0 is TokenizerError, "\($0)") }
        XCTAssertThrowsError(try BPETokenizer.load(vocabularyJSON: "/nonexistent/vocab.json", merges: good)) { XCTAssertTrue($0 is TokenizerError, "\($0)") }
        XCTAssertThrowsError(try tokenizer.decode([0, 7])) { XCTAssertTrue($0 is TokenizerError, "\($0)") }
        XCTAssertThrowsError(try BPETokenizer(ggufModel: "llama", preTokenizerName: nil, tokens: ["a"], merges: [], tokenTypes: [1],
                             bosTokenID: nil, eosTokenID: nil, unknownTokenID: nil, paddingTokenID: nil)) { XCTAssertTrue($0 is TokenizerError, "\($0)") }
        XCTAssertThrowsError(try BPETokenizer(ggufModel: "gpt2", preTokenizerName: "qwen2", tokens: ["a"], merges: [], tokenTypes: [1],
                             bosTokenID: nil, eosTokenID: nil, unknownTokenID: nil, paddingTokenID: nil)) { XCTAssertTrue($0 is TokenizerError, "\($0)") }
    }
}

final class LongInputTests: XCTestCase {
    /// A 30 KB run of letters is one piece: the heap-based merge keeps it fast, and it round-trips.
    func testHugePieceEncodesAndRoundTrips() throws {
        let tokenizer = try LoadedTokenizers.smolLM2.get()
        let text = String(repeating: "abcdefghij", count: 3_000)
        let ids = tokenizer.encode(text)
        XCTAssertTrue(!ids.isEmpty && ids.count < text.utf8.count)
        XCTAssertEqual(try tokenizer.decode(ids), text)
    }
}
