/// The byte layout of a write-ahead log file, version 3 (see docs/file-format.md).
///
///     file   = header frame*
///     header = magic "SMBLWAL\0" (8) | version u32 | shard u32 | startSequence u64
///              | collectionID (16) | baseCommit (32, zero: none)
///              | branch (64, UTF-8, zero-padded) | headerCRC u32 | zero u32   = 144 bytes
///     frame  = magic u32 "SMFR" | headerCRC u32 | storedLength u32 | rawLength u32
///              | firstSequence u64 | recordCount u32 | payloadCRC u32
///              | group u64 | participants (32: a bit per shard)             = 72 bytes
///              | payload[storedLength]
///
/// All integers little-endian; `headerCRC` of the file header is the CRC-32C of its bytes
/// 0..<136. The file header names what the log belongs to, so that a
/// log copied from another collection, shard or branch, or left from an older commit, is
/// refused instead of replayed or overwritten. `headerCRC` of a frame is the CRC-32C of its
/// header bytes 8..<72, `payloadCRC` of the stored payload. The payload is the records, one
/// after another, LZ4-compressed when that makes it smaller (`storedLength < rawLength`),
/// else stored as is. A frame holds one shard's part of one group of writes; `group`
/// numbers the groups of a collection and `participants` lists the shards that logged a
/// part of it: the group counts only when every participant's frame is there.
enum LogFormat {
    static let fileMagic: [UInt8] = Array("SMBLWAL".utf8) + [0]
    static let version: UInt32 = 3
    static let fileHeaderSize = 144
    static let frameMagic: UInt32 = 0x5246_4D53  // "SMFR"
    static let frameHeaderSize = 72
    /// The largest decompressed payload a reader accepts, checked before allocating.
    static let maximumFrameBytes = 64 << 20
    /// The unit in which a torn append is assumed to reach the disk (or not): a disk sector.
    static let sectorSize = 512
    /// The longest branch name a header holds (as long as ``RefName`` allows).
    static let maximumBranchBytes = 64

    /// What a log belongs to and where it starts.
    struct FileHeader: Equatable, Sendable {
        var identity: LogIdentity
        var shard: UInt32
        /// The commit this log continues from: its records follow that commit's state.
        var baseCommit: ObjectHash?
        var startSequence: UInt64
    }

    static func encode(_ header: FileHeader) -> [UInt8] {
        var writer = ByteWriter(capacity: fileHeaderSize)
        writer.append(bytes: fileMagic)
        writer.append(version)
        writer.append(header.shard)
        writer.append(header.startSequence)
        writer.append(bytes: header.identity.collectionID.bytes)
        writer.append(bytes: header.baseCommit?.bytes ?? [UInt8](repeating: 0, count: 32))
        let branch = Array(header.identity.branch.utf8.prefix(maximumBranchBytes))
        writer.append(bytes: branch + [UInt8](repeating: 0, count: maximumBranchBytes - branch.count))
        let crc = CRC32C.checksum(writer.bytes)
        writer.append(crc)
        writer.append(UInt32(0))
        return writer.bytes
    }

    static func decodeHeader(_ bytes: [UInt8], file: String) throws(SemblanceError) -> FileHeader {
        guard bytes.count >= 12, Array(bytes[0..<8]) == fileMagic else {
            if bytes.count < fileHeaderSize {
                throw SemblanceError(.corruptFile, "log header is \(bytes.count) bytes, expected \(fileHeaderSize)", path: file, offset: 0)
            }
            throw SemblanceError(.corruptFile, "not a Semblance write-ahead log (wrong magic)", path: file, offset: 0)
        }
        var reader = ByteReader(Array(bytes.prefix(fileHeaderSize)), file: file)
        _ = try reader.readBytes(8)
        let version = try reader.read(UInt32.self)
        guard version >= 1 else {
            throw SemblanceError(.corruptFile, "log format version \(version) does not exist", path: file, offset: 8)
        }
        guard version == Self.version else {
            throw SemblanceError(.unsupportedFormatVersion,
                version > Self.version
                    ? "log format version \(version) is newer than this Semblance reads (\(Self.version))"
                    : "log format version \(version) was never released; this Semblance reads version \(Self.version)",
                path: file, offset: 8)
        }
        guard bytes.count >= fileHeaderSize else {
            throw SemblanceError(.corruptFile, "log header is \(bytes.count) bytes, expected \(fileHeaderSize)", path: file, offset: 0)
        }
        let shard = try reader.read(UInt32.self)
        let start = try reader.read(UInt64.self)
        let collectionID = CollectionID(bytes: Array(try reader.readBytes(16)))
        let base = Array(try reader.readBytes(32))
        let branchBytes = Array(try reader.readBytes(maximumBranchBytes))
        let crc = try reader.read(UInt32.self)
        guard crc == CRC32C.checksum(bytes[0..<(fileHeaderSize - 8)]) else {
            throw SemblanceError(.corruptFile, "log header checksum mismatch", path: file, offset: fileHeaderSize - 8)
        }
        // The name, then zeros to the end of the field (a name holds no NUL).
        let nameBytes = branchBytes.prefix { $0 != 0 }
        guard branchBytes.dropFirst(nameBytes.count).allSatisfy({ $0 == 0 }),
              let branch = String(validating: nameBytes, as: UTF8.self), !branch.isEmpty
        else {
            throw SemblanceError(.corruptFile, "log header names no valid branch", path: file, offset: 72)
        }
        guard start >= 1 && start < UInt64.max / 2 else {
            throw SemblanceError(.corruptFile, "log start sequence \(start) is out of range", path: file, offset: 16)
        }
        return FileHeader(identity: LogIdentity(collectionID: collectionID, branch: branch), shard: shard,
                          baseCommit: base.allSatisfy { $0 == 0 } ? nil : ObjectHash(bytes: base), startSequence: start)
    }

    /// One frame holding `records`, numbered from `firstSequence`, as this shard's part of
    /// `group`.
    static func encodeFrame(_ records: [LogRecord], firstSequence: UInt64, group: WriteGroup) throws(SemblanceError) -> [UInt8] {
        var payload = ByteWriter()
        for record in records { record.encode(into: &payload) }
        let raw = payload.bytes
        guard raw.count <= maximumFrameBytes else {
            throw SemblanceError(.invalidArgument, "a batch of \(raw.count) bytes is over the frame limit of \(maximumFrameBytes) bytes; write it in smaller batches")
        }
        let compressed = try LZ4.compress(raw)
        let stored = compressed.count < raw.count ? compressed : raw
        var frame = ByteWriter(capacity: frameHeaderSize + stored.count)
        frame.append(frameMagic)
        frame.append(UInt32(0))  // header CRC, set below
        frame.append(UInt32(stored.count))
        frame.append(UInt32(raw.count))
        frame.append(firstSequence)
        frame.append(UInt32(records.count))
        frame.append(CRC32C.checksum(stored))
        frame.append(group.number)
        frame.append(bytes: group.participants.bytes)
        frame.set(CRC32C.checksum(frame.bytes[8..<frameHeaderSize]), at: 4)
        frame.append(bytes: stored)
        return frame.bytes
    }
}

/// What a log belongs to beyond its shard: the collection (a random id kept in its
/// config.json, so a renamed or copied folder still matches) and the branch.
struct LogIdentity: Equatable, Sendable {
    var collectionID: CollectionID
    var branch: String
}

/// A collection's random identity: 16 bytes, written as 32 hex digits.
struct CollectionID: Hashable, Sendable, CustomStringConvertible {
    let bytes: [UInt8]

    init(bytes: [UInt8]) {
        precondition(bytes.count == 16)
        self.bytes = bytes
    }

    static func random() -> CollectionID {
        var generator = SystemRandomNumberGenerator()
        return CollectionID(bytes: (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 32 else { return nil }
        var bytes: [UInt8] = []
        for i in stride(from: 0, to: 32, by: 2) {
            guard let byte = UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        guard String(bytes: bytes) == hex else { return nil }  // lowercase only
        self.bytes = bytes
    }

    var hex: String { String(bytes: bytes) }
    var description: String { hex }
}

/// One group of writes as its frames record it: the collection-wide group number and the
/// shards that each logged a part of it.
struct WriteGroup: Equatable, Sendable {
    var number: UInt64
    var participants: ShardSet
}

/// A set of shard numbers 0..<256, stored as 32 bytes (bit `s % 8` of byte `s / 8`).
struct ShardSet: Equatable, Hashable, Sendable, Sequence {
    private(set) var bytes = [UInt8](repeating: 0, count: 32)

    init() {}
    init(_ shards: some Sequence<Int>) { for shard in shards { insert(shard) } }
    init(bytes: [UInt8]) {
        precondition(bytes.count == 32)
        self.bytes = bytes
    }

    mutating func insert(_ shard: Int) {
        precondition((0..<256).contains(shard))
        bytes[shard / 8] |= 1 << UInt8(shard % 8)
    }

    func contains(_ shard: Int) -> Bool {
        (0..<256).contains(shard) && bytes[shard / 8] & (1 << UInt8(shard % 8)) != 0
    }

    func makeIterator() -> some IteratorProtocol<Int> {
        (0..<256).lazy.filter { self.contains($0) }.makeIterator()
    }
}

extension String {
    /// Lowercase hex digits of `bytes`.
    init(bytes: [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        self = String(decoding: text, as: UTF8.self)
    }
}
