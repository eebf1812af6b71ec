@_exported import TestFixtures

import ModelFormats

/// Reads the merges of the default GGUF through ModelFormats (the Tokenizers module itself does not depend on it).
enum ModelFormatsBridge {
    static func merges(_ path: String) throws -> [String] {
        try GGUFFile(path: path).tokenizerMetadata().merges
    }
}
