import CLZ4

/// LZ4 block compression through the system liblz4. The write-ahead log compresses its
/// frame payloads with it; the decompressed size always comes from our own header and is
/// checked against a cap before anything is allocated.
enum LZ4 {
    /// The largest input one call accepts (liblz4's LZ4_MAX_INPUT_SIZE).
    static let maximumInputSize = Int(LZ4_MAX_INPUT_SIZE)

    /// `input` compressed as one LZ4 block.
    static func compress(_ input: UnsafeRawBufferPointer) throws(SemblanceError) -> [UInt8] {
        guard input.count <= maximumInputSize else {
            throw SemblanceError(.compression, "cannot compress \(input.count) bytes: LZ4 takes at most \(maximumInputSize)")
        }
        let bound = Int(LZ4_compressBound(Int32(input.count)))
        var output = [UInt8](repeating: 0, count: max(bound, 1))
        let written = output.withUnsafeMutableBytes { out in
            LZ4_compress_default(
                input.baseAddress?.assumingMemoryBound(to: CChar.self),
                out.baseAddress!.assumingMemoryBound(to: CChar.self),
                Int32(input.count), Int32(out.count))
        }
        guard written > 0 || input.isEmpty else {
            throw SemblanceError(.compression, "LZ4 compression of \(input.count) bytes failed")
        }
        output.removeLast(output.count - Int(written))
        return output
    }

    static func compress(_ input: [UInt8]) throws(SemblanceError) -> [UInt8] {
        try input.withUnsafeBytes { raw in Result { () throws(SemblanceError) in try compress(raw) } }.get()
    }

    /// Decompresses one block that must expand to exactly `size` bytes.
    /// - Throws: ``SemblanceError/Code/compression`` when `size` exceeds `limit`, or the
    ///   block is malformed or expands to another size.
    static func decompress(_ input: UnsafeRawBufferPointer, size: Int, limit: Int) throws(SemblanceError) -> [UInt8] {
        guard size >= 0, size <= limit, size <= maximumInputSize else {
            throw SemblanceError(.compression, "declared decompressed size \(size) is over the limit of \(limit) bytes")
        }
        // A block expands at most about 255 times (a match's length grows by 255 per byte), so
        // a larger claim is damage: refused before `size` bytes are allocated.
        guard size <= input.count * 256 + 64 else {
            throw SemblanceError(.compression, "declared decompressed size \(size) is more than an LZ4 block of \(input.count) bytes can expand to")
        }
        if size == 0 && input.isEmpty { return [] }
        var output = [UInt8](repeating: 0, count: size)
        let produced = output.withUnsafeMutableBytes { out in
            LZ4_decompress_safe(
                input.baseAddress?.assumingMemoryBound(to: CChar.self),
                out.baseAddress?.assumingMemoryBound(to: CChar.self),
                Int32(input.count), Int32(size))
        }
        guard produced == Int32(size) else {
            throw SemblanceError(.compression,
                produced < 0 ? "malformed LZ4 block of \(input.count) bytes"
                             : "LZ4 block expanded to \(produced) bytes, expected \(size)")
        }
        return output
    }

    static func decompress(_ input: [UInt8], size: Int, limit: Int) throws(SemblanceError) -> [UInt8] {
        try input.withUnsafeBytes { raw in
            Result { () throws(SemblanceError) in try decompress(raw, size: size, limit: limit) }
        }.get()
    }
}
