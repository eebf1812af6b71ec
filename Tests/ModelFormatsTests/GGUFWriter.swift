import Foundation

/// A minimal GGUF writer for building small (and deliberately broken) files in tests.
struct GGUFWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
    mutating func rawString(_ b: [UInt8]) { u64(UInt64(b.count)); bytes += b }
    mutating func pad(to alignment: Int) { while bytes.count % alignment != 0 { bytes.append(0) } }

    /// A valid version-3 file: a few metadata values of every kind and two tensors (F32 [4], Q8_0 [32, 2]).
    static func validFile(version: UInt32 = 3, q8Offset: UInt64 = 32, q8Type: UInt32 = 8, q8Dims: [UInt64] = [32, 2],
                          stringArrayCount: UInt64 = 2, alignment: UInt32? = nil) -> [UInt8] {
        var w = GGUFWriter()
        w.u32(0x4655_4747)
        w.u32(version)
        w.u64(2)  // tensors
        w.u64(alignment == nil ? 6 : 7)  // metadata
        if let alignment { w.string("general.alignment"); w.u32(4); w.u32(alignment) }
        w.string("general.architecture"); w.u32(8); w.string("llama")
        w.string("test.u8"); w.u32(0); w.u8(7)
        w.string("test.f32"); w.u32(6); w.f32(0.5)
        w.string("test.bool"); w.u32(7); w.u8(1)
        w.string("test.strings"); w.u32(9); w.u32(8); w.u64(stringArrayCount); w.string("a"); w.string("ü")
        w.string("test.nested"); w.u32(9); w.u32(9); w.u64(1); w.u32(4); w.u64(2); w.u32(1); w.u32(2)
        // tensor infos
        w.string("norm"); w.u32(1); w.u64(4); w.u32(0); w.u64(0)
        w.string("q8"); w.u32(UInt32(q8Dims.count)); for d in q8Dims { w.u64(d) }; w.u32(q8Type); w.u64(q8Offset)
        w.pad(to: Int(alignment ?? 32))
        // data: norm = 1, 2, 3, 4 then padding to 32; q8: 2 blocks of (f16 d, 32 int8)
        for x in [Float(1), 2, 3, 4] { w.f32(x) }
        w.pad(to: 32)
        for block in 0..<2 {
            w.bytes += [0x00, 0x38]  // f16 0.5
            for j in 0..<32 { w.bytes.append(UInt8(bitPattern: Int8(j - 16 + block))) }
        }
        return w.bytes
    }
}
