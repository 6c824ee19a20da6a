/// The layout of a page object (see docs/file-format.md):
///
///     magic "SMBLPAGE" (8) | version u32 | kind u32 | count u32 | zero u32 | payload
///
/// `count` is the number of rows (or ids) in the payload. Table pages hold their rows'
/// raw little-endian bytes; id pages hold `count` ids, each a u16 length and UTF-8 bytes.
enum PageObject {
    enum Kind: UInt32, CaseIterable {
        case vectors = 1, level0Links = 2, upperLinks = 3, nodeRecords = 4, ids = 5
    }

    static let magic: [UInt8] = Array("SMBLPAGE".utf8)
    static let version: UInt32 = 1
    static let headerSize = 24

    static func encode(kind: Kind, count: Int, payload: UnsafeRawBufferPointer) -> [UInt8] {
        var writer = ByteWriter(capacity: headerSize + payload.count)
        writer.append(bytes: magic)
        writer.append(version)
        writer.append(kind.rawValue)
        writer.append(UInt32(count))
        writer.append(UInt32(0))
        writer.append(bytes: payload)
        return writer.bytes
    }

    static func encodeIDs(_ ids: some Collection<String>) -> [UInt8] {
        var payload = ByteWriter()
        for id in ids { payload.appendShortString(id) }
        return payload.bytes.withUnsafeBytes { encode(kind: .ids, count: ids.count, payload: $0) }
    }

    /// The payload of a page object, after checking its header.
    static func decode(_ bytes: [UInt8], kind: Kind, file: String) throws(SemblanceError) -> (count: Int, payload: [UInt8]) {
        guard bytes.count >= headerSize, Array(bytes[0..<8]) == magic else {
            throw SemblanceError(.corruptFile, "\(file): not a Semblance page (wrong magic) at byte offset 0")
        }
        var reader = ByteReader(Array(bytes[8..<headerSize]), file: file, baseOffset: 8)
        let version = try reader.read(UInt32.self)
        guard version <= Self.version else {
            throw SemblanceError(.unsupportedFormatVersion, "\(file): page format version \(version) is newer than this Semblance reads (\(Self.version))")
        }
        let storedKind = try reader.read(UInt32.self)
        guard storedKind == kind.rawValue else {
            throw SemblanceError(.corruptFile, "\(file): page of kind \(storedKind) where kind \(kind.rawValue) was expected, at byte offset 12")
        }
        let count = Int(try reader.read(UInt32.self))
        return (count, Array(bytes[headerSize...]))
    }

    static func decodeIDs(_ bytes: [UInt8], file: String) throws(SemblanceError) -> ContiguousArray<String> {
        let (count, payload) = try decode(bytes, kind: .ids, file: file)
        var reader = ByteReader(payload, file: file, baseOffset: headerSize)
        var ids = ContiguousArray<String>()
        ids.reserveCapacity(count)
        for _ in 0..<count { ids.append(try reader.readShortString()) }
        guard reader.isAtEnd else { throw reader.corrupt("\(reader.remaining) bytes after the last id") }
        return ids
    }
}
