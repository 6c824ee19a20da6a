/// The byte layout of a write-ahead log file (see docs/file-format.md).
///
///     file   = header frame*
///     header = magic "SMBLWAL\0" (8) | version u32 | shard u32 | startSequence u64 | crc u32 | zero u32
///     frame  = magic u32 "SMFR" | headerCRC u32 | storedLength u32 | rawLength u32
///              | firstSequence u64 | recordCount u32 | payloadCRC u32 | payload[storedLength]
///
/// All integers little-endian. `headerCRC` is the CRC-32C of the frame header's bytes 8..<32,
/// `payloadCRC` of the stored payload. The payload is the records, one after another,
/// LZ4-compressed when that makes it smaller (`storedLength < rawLength`), else stored as is
/// (`storedLength == rawLength`). Records in one frame were written together (group commit)
/// and are applied all or none.
enum LogFormat {
    static let fileMagic: [UInt8] = Array("SMBLWAL".utf8) + [0]
    static let version: UInt32 = 1
    static let fileHeaderSize = 32
    static let frameMagic: UInt32 = 0x5246_4D53  // "SMFR"
    static let frameHeaderSize = 32
    /// The largest decompressed payload a reader accepts, checked before allocating.
    static let maximumFrameBytes = 64 << 20
    /// The unit in which a torn append is assumed to reach the disk (or not): a disk sector.
    static let sectorSize = 512

    struct FileHeader: Equatable {
        var shard: UInt32
        var startSequence: UInt64
    }

    static func encode(_ header: FileHeader) -> [UInt8] {
        var writer = ByteWriter(capacity: fileHeaderSize)
        writer.append(bytes: fileMagic)
        writer.append(version)
        writer.append(header.shard)
        writer.append(header.startSequence)
        let crc = CRC32C.checksum(writer.bytes)
        writer.append(crc)
        writer.append(UInt32(0))
        return writer.bytes
    }

    static func decodeHeader(_ bytes: [UInt8], file: String) throws(SemblanceError) -> FileHeader {
        guard bytes.count >= fileHeaderSize else {
            throw SemblanceError(.corruptFile, "\(file): log header is \(bytes.count) bytes, expected \(fileHeaderSize), at byte offset 0")
        }
        guard Array(bytes[0..<8]) == fileMagic else {
            throw SemblanceError(.corruptFile, "\(file): not a Semblance write-ahead log (wrong magic) at byte offset 0")
        }
        var reader = ByteReader(Array(bytes[0..<fileHeaderSize]), file: file)
        _ = try reader.readBytes(8)
        let version = try reader.read(UInt32.self)
        let shard = try reader.read(UInt32.self)
        let start = try reader.read(UInt64.self)
        let crc = try reader.read(UInt32.self)
        guard crc == CRC32C.checksum(bytes[0..<24]) else {
            throw SemblanceError(.corruptFile, "\(file): log header checksum mismatch at byte offset 24")
        }
        guard version >= 1 else {
            throw SemblanceError(.corruptFile, "\(file): log format version \(version) does not exist, at byte offset 8")
        }
        guard version <= Self.version else {
            throw SemblanceError(.unsupportedFormatVersion,
                "\(file): log format version \(version) is newer than this Semblance reads (\(Self.version))")
        }
        guard start >= 1 && start < UInt64.max / 2 else {
            throw SemblanceError(.corruptFile, "\(file): log start sequence \(start) is out of range, at byte offset 16")
        }
        return FileHeader(shard: shard, startSequence: start)
    }

    /// One frame holding `records`, numbered from `firstSequence`.
    static func encodeFrame(_ records: [LogRecord], firstSequence: UInt64) throws(SemblanceError) -> [UInt8] {
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
        frame.set(CRC32C.checksum(frame.bytes[8..<frameHeaderSize]), at: 4)
        frame.append(bytes: stored)
        return frame.bytes
    }
}
