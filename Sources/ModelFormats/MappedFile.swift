import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file. Pages are read from disk only when touched, so opening a
/// 100 MB checkpoint and reading its header costs a few pages, not the file.
///
/// The mapping lives as long as this object; tensor views hand out `UnsafeRawBufferPointer`s into it and
/// keep the object alive through their own reference.
public final class MappedFile: @unchecked Sendable {
    /// The path the file was opened with (used in error messages).
    public let path: String
    /// The number of bytes in the file.
    public let count: Int
    /// The start of the mapping (nil for an empty file).
    private let base: UnsafeRawPointer?

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            throw ModelFormatError(.unreadable, file: path, field: "file", "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 {
            throw ModelFormatError(.unreadable, file: path, field: "file", "cannot stat: \(String(cString: strerror(errno)))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw ModelFormatError(.unreadable, file: path, field: "file", "is a directory")
        }
        count = Int(info.st_size)
        if count == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        if mapped == MAP_FAILED || mapped == nil {
            throw ModelFormatError(.unreadable, file: path, field: "file", "cannot map: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// The bytes `range` of the file, or a `truncated` error naming `field` if the range runs past the end.
    public func bytes(_ range: Range<Int>, field: String) throws -> UnsafeRawBufferPointer {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw ModelFormatError(.truncated, file: path, field: field,
                                   "needs bytes \(range.lowerBound)..<\(range.upperBound) but the file has \(count)")
        }
        guard let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// Calls `body` with the whole mapping.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }
}

/// A little-endian cursor over a mapped file that checks every read against the end of the file.
struct ByteCursor {
    let file: MappedFile
    var offset: Int

    init(_ file: MappedFile, at offset: Int = 0) {
        self.file = file
        self.offset = offset
    }

    var remaining: Int { file.count - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type, field: @autoclosure () -> String) throws -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= file.count else {
            throw ModelFormatError(.truncated, file: file.path, field: field(),
                                   "the file ends at byte \(file.count), before this \(size)-byte value at \(offset)")
        }
        let value = file.withBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        offset += size
        return T(littleEndian: value)
    }

    mutating func readFloat(field: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, field: field()))
    }

    mutating func readDouble(field: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, field: field()))
    }

    /// Reads `length` raw bytes and decodes them as UTF-8 (rejecting invalid sequences).
    mutating func readUTF8(length: UInt64, field: @autoclosure () -> String) throws -> String {
        guard length <= UInt64(remaining) else {
            throw ModelFormatError(.truncated, file: file.path, field: field(),
                                   "a string of \(length) bytes at offset \(offset) runs past the end of the file (\(file.count) bytes)")
        }
        let n = Int(length)
        let raw = try file.bytes(offset..<(offset + n), field: field())
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw ModelFormatError(.badUTF8, file: file.path, field: field(), "the string at offset \(offset) is not valid UTF-8")
        }
        offset += n
        return text
    }
}
