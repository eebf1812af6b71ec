import Foundation

/// Byte-level BPE (GPT-2, SmolLM2): special tokens kept whole, the pre-tokeniser's split, bytes mapped to
/// GPT-2's alphabet, then merges applied lowest rank first (leftmost on ties) within each piece.
///
/// Pieces are cached (piece bytes → ids), so text made of familiar words costs a dictionary lookup per word.
/// The cache is guarded by a lock; the tokenizer can be shared between threads.
public final class BPETokenizer: @unchecked Sendable {
    /// Token strings by id, in the byte-level alphabet for ordinary tokens ("Ġthe") and verbatim for special ones.
    public let tokens: [String]
    /// Ids by token string.
    public let vocabulary: [String: Int]
    public let preTokenizer: PreTokenizer
    /// Ids of the tokens matched whole in text (control and user-defined tokens, added tokens).
    public let specialTokenIDs: Set<Int>
    public var bosTokenID: Int?
    public var eosTokenID: Int?
    public var unknownTokenID: Int?
    public var paddingTokenID: Int?
    /// Text from a file, quoted for a message and cut to 80 characters (a damaged line may be a megabyte).
    static func quoted(_ text: String) -> String {
        text.count <= 80 ? "\"\(text)\"" : "\"\(text.prefix(80))…\" (\(text.utf8.count) bytes)"
    }

    /// The number of merge rules in use.
    public let mergeCount: Int

    /// The raw bytes each id decodes to.
    private let tokenBytes: [[UInt8]]
    /// The id of each single byte's token (-1 if the vocabulary lacks it: that byte is then dropped, as
    /// Hugging Face's BPE does without an unknown token).
    private let byteTokenID: [Int32]
    /// (left id << 32 | right id) → (rank, merged id).
    private let merges: [UInt64: (rank: Int32, id: Int32)]
    private let specialMatcher: SpecialTokenMatcher

    private let cacheLock = NSLock()
    /// Keys are slices of their own small arrays (made on insert), so a lookup needs no allocation.
    private var cache: [ArraySlice<UInt8>: [Int32]] = [:]
    /// The cache is emptied when it reaches this many pieces (a bound on memory for endless novel text).
    private let cacheLimit = 200_000

    /// Builds a tokenizer from its vocabulary (id → byte-level string), its merges ("left right", rank order)
    /// and the ids to keep whole. Merges naming unknown tokens are an error, as in the reference loaders.
    public init(tokens: [String], merges mergeLines: [String], specialTokenIDs: Set<Int>, preTokenizer: PreTokenizer,
                file: String = "") throws {
        self.tokens = tokens
        self.preTokenizer = preTokenizer
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() where vocabulary[token] == nil {
            vocabulary[token] = id
        }
        self.vocabulary = vocabulary
        for id in specialTokenIDs where id < 0 || id >= tokens.count {
            throw TokenizerError(file: file, field: "special token id \(id)", "out of range for \(tokens.count) tokens")
        }
        self.specialTokenIDs = specialTokenIDs

        tokenBytes = tokens.enumerated().map { id, token in
            if specialTokenIDs.contains(id) { return Array(token.utf8) }
            return ByteLevelAlphabet.decode(token) ?? Array(token.utf8)
        }
        byteTokenID = ByteLevelAlphabet.characterForByte.map { Int32(vocabulary[String($0)] ?? -1) }

        var table: [UInt64: (rank: Int32, id: Int32)] = [:]
        table.reserveCapacity(mergeLines.count)
        for (rank, line) in mergeLines.enumerated() {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError(file: file, field: "merge \(rank)", "expected two tokens separated by one space, found \(Self.quoted(line))")
            }
            guard let left = vocabulary[String(parts[0])], let right = vocabulary[String(parts[1])] else {
                throw TokenizerError(file: file, field: "merge \(rank)", "\(Self.quoted(line)) names a token that is not in the vocabulary")
            }
            guard let merged = vocabulary[String(parts[0]) + String(parts[1])] else {
                throw TokenizerError(file: file, field: "merge \(rank)", "the merge of \(Self.quoted(line)) is not in the vocabulary")
            }
            let key = UInt64(left) << 32 | UInt64(right)
            if table[key] == nil { table[key] = (Int32(rank), Int32(merged)) }
        }
        // Without merges every text falls apart into single bytes; a vocabulary with longer tokens
        // then has rules missing (a damaged file), not a byte-level model.
        let bytesOfTokens = tokenBytes
        if mergeLines.isEmpty, let id = bytesOfTokens.indices.first(where: { !specialTokenIDs.contains($0) && bytesOfTokens[$0].count > 1 }) {
            throw TokenizerError(file: file, field: "merges",
                                 "there are no merge rules, yet token \(id) (\(Self.quoted(tokens[id]))) is longer than one byte: the merges are missing")
        }
        merges = table
        mergeCount = mergeLines.count
        specialMatcher = SpecialTokenMatcher(specialTokenIDs.sorted().map { (tokens[$0], $0) })
    }

    public var vocabularySize: Int { tokens.count }

    /// The id of a token string ("<|im_end|>", "Ġthe"), if it is in the vocabulary.
    public func id(of token: String) -> Int? { vocabulary[token] }

    // MARK: - Encoding

    /// The ids of `text`. With `parseSpecialTokens`, special tokens written in the text ("<|im_end|>") become
    /// their ids; without it they are tokenised as ordinary text. No BOS or EOS is added.
    public func encode(_ text: String, parseSpecialTokens: Bool = true) -> [Int] {
        let bytes = Array(text.utf8)
        var ids: [Int] = []
        ids.reserveCapacity(bytes.count / 3 + 1)
        var scalars: [UInt32] = []
        var offsets: [Int] = []
        var pieces: [Range<Int>] = []
        let ordinary = { (range: Range<Int>) in
            Self.decodeScalars(bytes, range, &scalars, &offsets)
            pieces.removeAll(keepingCapacity: true)
            self.preTokenizer.split(scalars, into: &pieces)
            for piece in pieces {
                let byteRange = offsets[piece.lowerBound]..<offsets[piece.upperBound]
                for id in self.encodePiece(bytes[byteRange]) { ids.append(Int(id)) }
            }
        }
        if parseSpecialTokens {
            specialMatcher.split(bytes, ordinary: ordinary, special: { ids.append($0) })
        } else if !bytes.isEmpty {
            ordinary(0..<bytes.count)
        }
        return ids
    }

    /// Unicode scalars of valid UTF-8 `bytes[range]`, with each scalar's byte offset (and the end offset last).
    private static func decodeScalars(_ bytes: [UInt8], _ range: Range<Int>, _ scalars: inout [UInt32], _ offsets: inout [Int]) {
        scalars.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let b0 = UInt32(bytes[i])
            offsets.append(i)
            if b0 < 0x80 {
                scalars.append(b0); i += 1
            } else if b0 < 0xE0 {
                scalars.append((b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)); i += 2
            } else if b0 < 0xF0 {
                scalars.append((b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F)); i += 3
            } else {
                scalars.append((b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12 | UInt32(bytes[i + 2] & 0x3F) << 6
                               | UInt32(bytes[i + 3] & 0x3F)); i += 4
            }
        }
        offsets.append(end)
    }

    /// The ids of one pre-tokenised piece (its raw bytes), from the cache or by merging.
    func encodePiece(_ piece: ArraySlice<UInt8>) -> [Int32] {
        cacheLock.lock()
        let cached = cache[piece]
        cacheLock.unlock()
        if let cached { return cached }
        let ids = merge(piece)
        cacheLock.lock()
        if cache.count >= cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[Array(piece)[...]] = ids
        cacheLock.unlock()
        return ids
    }

    /// BPE proper: start from one symbol per byte, merge the lowest-ranked adjacent pair (leftmost on ties)
    /// until no pair has a merge rule.
    private func merge(_ piece: ArraySlice<UInt8>) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(piece.count)
        for b in piece {
            let id = byteTokenID[Int(b)]
            if id >= 0 { symbols.append(id) }
        }
        guard symbols.count > 1 else { return symbols }
        if symbols.count > 48 { return mergeLong(symbols) }
        // ranks[i]: the rank of merging symbols[i] and symbols[i+1] (Int32.max if none); kept up to date.
        var ranks = [Int32](repeating: .max, count: symbols.count - 1)
        var mergedIDs = [Int32](repeating: -1, count: symbols.count - 1)
        func lookup(_ i: Int) {
            if let m = merges[UInt64(UInt32(symbols[i])) << 32 | UInt64(UInt32(symbols[i + 1]))] {
                ranks[i] = m.rank; mergedIDs[i] = m.id
            } else {
                ranks[i] = .max; mergedIDs[i] = -1
            }
        }
        for i in ranks.indices { lookup(i) }
        while true {
            var best = -1
            var bestRank = Int32.max
            for i in ranks.indices where ranks[i] < bestRank {
                bestRank = ranks[i]; best = i
            }
            if best < 0 { break }
            symbols[best] = mergedIDs[best]
            symbols.remove(at: best + 1)
            ranks.remove(at: best)
            mergedIDs.remove(at: best)
            if best < ranks.count { lookup(best) }
            if best > 0 { lookup(best - 1) }
        }
        return symbols
    }

    /// The same merges in O(n log n) for long pieces (a 100 KB run of letters must not take minutes): a
    /// linked list of symbols and a heap of candidate pairs ordered by (rank, position); stale entries are
    /// skipped when popped. Positions keep their original order, so ties go leftmost as in `merge`.
    private func mergeLong(_ initial: [Int32]) -> [Int32] {
        var ids = initial
        let n = ids.count
        var next = Array(1...n)        // n means none
        var prev = Array(-1..<(n - 1))  // -1 means none
        var alive = [Bool](repeating: true, count: n)
        var heap = PairHeap()
        func push(_ i: Int) {
            let j = next[i]
            guard j < n, let m = merges[UInt64(UInt32(ids[i])) << 32 | UInt64(UInt32(ids[j]))] else { return }
            heap.push(PairHeap.Entry(rank: m.rank, position: Int32(i), left: ids[i], right: ids[j]))
        }
        for i in 0..<(n - 1) { push(i) }
        while let e = heap.pop() {
            let i = Int(e.position)
            guard alive[i], ids[i] == e.left, next[i] < n, ids[next[i]] == e.right else { continue }
            let j = next[i]
            guard let m = merges[UInt64(UInt32(ids[i])) << 32 | UInt64(UInt32(ids[j]))] else { continue }
            ids[i] = m.id
            alive[j] = false
            next[i] = next[j]
            if next[j] < n { prev[next[j]] = i }
            if prev[i] >= 0 { push(prev[i]) }
            push(i)
        }
        var out: [Int32] = []
        var i = 0
        while i < n { out.append(ids[i]); i = next[i] }
        return out
    }

    // MARK: - Decoding

    /// The raw bytes of `ids` (special tokens as their text), or an error naming an id out of range.
    public func bytes(of ids: [Int], skipSpecialTokens: Bool = false) throws -> [UInt8] {
        var out: [UInt8] = []
        for id in ids {
            guard id >= 0, id < tokenBytes.count else {
                throw TokenizerError(file: "", field: "token id \(id)", "out of range for a vocabulary of \(tokenBytes.count)")
            }
            if skipSpecialTokens && specialTokenIDs.contains(id) { continue }
            out += tokenBytes[id]
        }
        return out
    }

    /// The bytes of one token.
    public func bytes(of id: Int) throws -> [UInt8] {
        guard id >= 0, id < tokenBytes.count else {
            throw TokenizerError(file: "", field: "token id \(id)", "out of range for a vocabulary of \(tokenBytes.count)")
        }
        return tokenBytes[id]
    }

    /// The text of `ids`; byte sequences that are not valid UTF-8 (a character cut between ids) become U+FFFD,
    /// as in the reference decoders. For text produced token by token, use `StreamingDecoder`.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) throws -> String {
        String(decoding: try bytes(of: ids, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
    }
}

/// A binary min-heap of merge candidates ordered by (rank, position).
struct PairHeap {
    struct Entry {
        var rank: Int32
        var position: Int32
        var left: Int32
        var right: Int32

        @inline(__always)
        func precedes(_ other: Entry) -> Bool {
            rank != other.rank ? rank < other.rank : position < other.position
        }
    }

    private var items: [Entry] = []

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].precedes(items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l].precedes(items[m]) { m = l }
                if r < items.count && items[r].precedes(items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return first
    }
}
