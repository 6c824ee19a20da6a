/// The layout of a page object (see docs/file-format.md):
///
///     version 2: magic "SMBLPAGE" (8) | version u32 | kind u32 | count u32 | flags u32 | rawLength u32 | payload
///     version 1: magic "SMBLPAGE" (8) | version u32 | kind u32 | count u32 | zero u32 | payload (raw)
///
/// `count` is the number of rows (or ids) in the payload. Table pages hold their rows'
/// raw little-endian bytes; id pages hold `count` ids, each a u16 length and UTF-8 bytes;
/// metadata pages hold `count` entries, each a node number (u32) and its metadata value.
/// In version 2, flag bit 0 means the payload is one LZ4 block that expands to `rawLength`
/// bytes (used when that is smaller: link pages, whose unused slots are zeros, shrink by a
/// third); otherwise it is stored raw and `rawLength` is its length. Version 1 files (no
/// compression) are still read.
enum PageObject {
    enum Kind: UInt32, CaseIterable {
        case vectors = 1, level0Links = 2, upperLinks = 3, nodeRecords = 4, ids = 5, metadata = 6, vectorDigests = 7
    }

    static let magic: [UInt8] = Array("SMBLPAGE".utf8)
    static let version: UInt32 = 2
    static let headerSize = 28
    static let compressedFlag: UInt32 = 1
    /// The largest payload a reader expands, checked before allocating.
    static let maximumPayloadBytes = 256 << 20

    static func encode(kind: Kind, count: Int, payload: UnsafeRawBufferPointer) -> [UInt8] {
        let compressed = (try? LZ4.compress(payload)) ?? []
        let useCompressed = !compressed.isEmpty && compressed.count < payload.count
        var writer = ByteWriter(capacity: headerSize + (useCompressed ? compressed.count : payload.count))
        writer.append(bytes: magic)
        writer.append(version)
        writer.append(kind.rawValue)
        writer.append(UInt32(count))
        writer.append(useCompressed ? compressedFlag : 0)
        writer.append(UInt32(payload.count))
        if useCompressed { writer.append(bytes: compressed) } else { writer.append(bytes: payload) }
        return writer.bytes
    }

    static func encodeIDs(_ ids: some Collection<String>) -> [UInt8] {
        var payload = ByteWriter()
        for id in ids { payload.appendShortString(id) }
        return payload.bytes.withUnsafeBytes { encode(kind: .ids, count: ids.count, payload: $0) }
    }

    /// Whether a page that starts with `header` (its first ``headerSize`` bytes) is a
    /// version-2 page of `kind` holding its payload as stored, uncompressed: its rows can
    /// then be read in place, row `i` at `headerSize + i · rowBytes`.
    static func holdsRawRows(header: UnsafeRawBufferPointer, kind: Kind) -> Bool {
        guard header.count >= headerSize, header.prefix(8).elementsEqual(magic) else { return false }
        func word(_ at: Int) -> UInt32 { UInt32(littleEndian: header.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        return word(8) == version && word(12) == kind.rawValue && word(20) & compressedFlag == 0
    }

    /// The payload of a page object, after checking its header.
    static func decode(_ bytes: [UInt8], kind: Kind, file: String) throws(SemblanceError) -> (count: Int, payload: [UInt8]) {
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else {
            throw SemblanceError(.corruptFile, "not a Semblance page (wrong magic)", path: file, offset: 0)
        }
        guard bytes.count >= 24 else {
            throw SemblanceError(.corruptFile, "truncated page header", path: file, offset: bytes.count)
        }
        var reader = ByteReader(Array(bytes[8..<min(bytes.count, headerSize)]), file: file, baseOffset: 8)
        let version = try reader.read(UInt32.self)
        guard version >= 1 else {
            throw SemblanceError(.corruptFile, "page format version \(version) does not exist", path: file, offset: 8)
        }
        guard version <= Self.version else {
            throw SemblanceError(.unsupportedFormatVersion, "page format version \(version) is newer than this Semblance reads (\(Self.version))", path: file)
        }
        let storedKind = try reader.read(UInt32.self)
        guard storedKind == kind.rawValue else {
            throw SemblanceError(.corruptFile, "page of kind \(storedKind) where kind \(kind.rawValue) was expected", path: file, offset: 12)
        }
        let count = Int(try reader.read(UInt32.self))
        let flags = try reader.read(UInt32.self)
        if version == 1 { return (count, Array(bytes[24...])) }
        let rawLength = Int(try reader.read(UInt32.self))
        guard bytes.count >= headerSize else {
            throw SemblanceError(.corruptFile, "truncated page header", path: file, offset: bytes.count)
        }
        let stored = bytes[headerSize...]
        guard flags & compressedFlag != 0 else {
            guard stored.count == rawLength else {
                throw SemblanceError(.corruptFile, "page payload is \(stored.count) bytes, its header says \(rawLength)", path: file, offset: headerSize)
            }
            return (count, Array(stored))
        }
        do {
            return (count, try LZ4.decompress(Array(stored), size: rawLength, limit: maximumPayloadBytes))
        } catch {
            throw SemblanceError(.corruptFile, "page payload does not decompress (\(error.message))", path: file, offset: headerSize)
        }
    }

    static func decodeIDs(_ bytes: [UInt8], file: String) throws(SemblanceError) -> ContiguousArray<String> {
        let (count, payload) = try decode(bytes, kind: .ids, file: file)
        var reader = ByteReader(payload, file: file + " (page payload)", baseOffset: 0)
        var ids = ContiguousArray<String>()
        ids.reserveCapacity(min(count, payload.count / 2))  // an id takes at least 2 bytes
        for _ in 0..<count { ids.append(try reader.readShortString()) }
        guard reader.isAtEnd else { throw reader.corrupt("\(reader.remaining) bytes after the last id") }
        return ids
    }

    static func encodeMetadata(_ entries: some Collection<(node: UInt32, metadata: Metadata)>) -> [UInt8] {
        var payload = ByteWriter()
        for entry in entries {
            payload.append(entry.node)
            entry.metadata.encode(into: &payload)
        }
        return payload.bytes.withUnsafeBytes { encode(kind: .metadata, count: entries.count, payload: $0) }
    }

    /// A metadata page's payload and where each entry's value lies in it, for comparing
    /// entries byte for byte without decoding them.
    static func metadataEntryBytes(_ bytes: [UInt8], file: String) throws(SemblanceError) -> (payload: [UInt8], entries: [(node: UInt32, bytes: Range<Int>)]) {
        let (count, payload) = try decode(bytes, kind: .metadata, file: file)
        var reader = ByteReader(payload, file: file + " (page payload)", baseOffset: 0)
        var entries: [(node: UInt32, bytes: Range<Int>)] = []
        entries.reserveCapacity(min(count, payload.count / 5))  // an entry takes at least 5 bytes
        for _ in 0..<count {
            let node = try reader.read(UInt32.self)
            let start = reader.position
            try Metadata.skip(from: &reader)
            entries.append((node, start..<reader.position))
        }
        guard reader.isAtEnd else { throw reader.corrupt("\(reader.remaining) bytes after the last metadata entry") }
        return (payload, entries)
    }

    static func decodeMetadata(_ bytes: [UInt8], file: String) throws(SemblanceError) -> [(node: UInt32, metadata: Metadata)] {
        let (count, payload) = try decode(bytes, kind: .metadata, file: file)
        var reader = ByteReader(payload, file: file + " (page payload)", baseOffset: 0)
        var entries: [(node: UInt32, metadata: Metadata)] = []
        entries.reserveCapacity(min(count, payload.count / 5))  // an entry takes at least 5 bytes
        for _ in 0..<count {
            let node = try reader.read(UInt32.self)
            entries.append((node, try Metadata.decode(from: &reader)))
        }
        guard reader.isAtEnd else { throw reader.corrupt("\(reader.remaining) bytes after the last metadata entry") }
        return entries
    }
}
