import SemblanceKernels

/// Little-endian encoding into a byte array, for the on-disk formats.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ value: Float) { append(value.bitPattern) }

    mutating func append(bytes other: some Sequence<UInt8>) { bytes.append(contentsOf: other) }

    /// A UTF-8 string preceded by its byte count as a UInt16.
    mutating func appendShortString(_ string: String) {
        let utf8 = Array(string.utf8)
        append(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Overwrites the 4 bytes at `offset` with `value`.
    mutating func set(_ value: UInt32, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for i in 0..<4 { bytes[offset + i] = raw[i] }
        }
    }
}

/// Little-endian decoding with bounds checks: reading past the end throws, naming the file
/// and the absolute offset, so a damaged length field can never read out of bounds.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var position: Int
    /// For error messages: the file and the absolute offset of `bytes[0]`.
    let file: String
    let baseOffset: Int

    init(_ bytes: [UInt8], file: String, baseOffset: Int = 0) {
        self.bytes = bytes
        position = 0
        self.file = file
        self.baseOffset = baseOffset
    }

    var remaining: Int { bytes.count - position }
    var isAtEnd: Bool { position == bytes.count }

    func corrupt(_ what: String) -> SemblanceError {
        SemblanceError(.corruptFile, what, path: file, offset: baseOffset + position)
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws(SemblanceError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw corrupt("unexpected end of data reading \(T.self)") }
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { raw in
            for i in 0..<size { raw[i] = bytes[position + i] }
        }
        position += size
        return T(littleEndian: value)
    }

    mutating func readFloat() throws(SemblanceError) -> Float {
        Float(bitPattern: try read(UInt32.self))
    }

    mutating func readBytes(_ count: Int) throws(SemblanceError) -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else { throw corrupt("unexpected end of data reading \(count) bytes") }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    mutating func readShortString() throws(SemblanceError) -> String {
        let count = Int(try read(UInt16.self))
        let raw = try readBytes(count)
        guard let string = String(validating: raw, as: UTF8.self) else { throw corrupt("invalid UTF-8 in a string") }
        return string
    }
}

/// CRC-32C (Castagnoli), hardware-accelerated where the CPU allows.
enum CRC32C {
    static func checksum(_ bytes: some Collection<UInt8>, continuing crc: UInt32 = 0) -> UInt32 {
        if let value = bytes.withContiguousStorageIfAvailable({ sk_crc32c_update(crc, $0.baseAddress, $0.count) }) {
            return value
        }
        let copy = Array(bytes)
        return copy.withUnsafeBytes { sk_crc32c_update(crc, $0.baseAddress, $0.count) }
    }
}
