import Foundation

/// Everything that can be wrong with a model file, as a value that names the file and the field at fault.
///
/// The readers never trap on a malformed file: every length, offset, count and type read from it is checked
/// against the file's size and sane limits before it is used, and a failed check becomes one of these.
public struct ModelFormatError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// The file could not be opened or mapped.
        case unreadable
        /// The first bytes are not the format's magic.
        case badMagic
        /// A version this reader does not know.
        case unsupportedVersion
        /// A read ran past the end of the file.
        case truncated
        /// A count, length or size larger than the file could hold.
        case implausibleSize
        /// A type code (value type or tensor type) this reader does not know.
        case unknownType
        /// Text that is not valid UTF-8.
        case badUTF8
        /// A tensor's data lies (partly) outside the file's data section.
        case outOfBounds
        /// A required field is missing.
        case missingField
        /// A field is present but has the wrong type or an impossible value.
        case invalidValue
        /// JSON that does not parse or has the wrong shape.
        case badJSON
    }

    public let kind: Kind
    /// The file the error is about (its path as given).
    public let file: String
    /// The field at fault: a metadata key, "tensor 'blk.0.attn_q.weight' offset", "header length", …
    public let field: String
    /// What was wrong, in words.
    public let detail: String

    public init(_ kind: Kind, file: String, field: String, _ detail: String) {
        self.kind = kind
        self.file = file
        self.field = field
        self.detail = detail
    }

    public var description: String {
        "\(file): \(field): \(detail)"
    }
}
