/// What a write-ahead log holds, as read back.
struct LogContents {
    /// One frame: a shard's part of one group of writes.
    struct Frame {
        var firstSequence: UInt64
        var records: [LogRecord]
        var group: WriteGroup
        /// Where the frame starts and ends in the file.
        var start: Int64
        var end: Int64
        /// The CRC-32C of its stored payload.
        var payloadChecksum: UInt32

        /// Where it lies, its group and its checksum: what tells this frame from another
        /// written in its place.
        var mark: Mark { Mark(firstSequence: firstSequence, start: start, end: end, group: group, payloadChecksum: payloadChecksum) }
        struct Mark: Equatable {
            var firstSequence: UInt64
            var start: Int64
            var end: Int64
            var group: WriteGroup
            var payloadChecksum: UInt32
        }
    }
    var header: LogFormat.FileHeader
    /// The frames, in order.
    var frames: [Frame] = []
    /// The end of the last whole frame: where the next frame is written.
    var validLength: Int64
    /// Bytes after `validLength`: a torn tail, dropped (an append interrupted by a crash).
    var tornTailBytes: Int64
    /// The sequence number the next record gets.
    var nextSequence: UInt64
}

/// Reads a write-ahead log, telling a torn tail (ignored) from damage (an error).
///
/// A tail is torn when the file ends inside a frame, when everything from a frame's start to
/// the end of the file is zero (space allocated, never written), or when the last frame's
/// payload fails its checksum and the file is zero from a sector boundary inside that frame
/// to its end (a multi-sector append of which only the first sectors reached the disk).
/// Anything else that does not check out (a frame header or payload checksum, a wrong magic, a gap in the sequence
/// numbers, a payload that does not decode) is `.corruptFile`, naming the file and offset.
enum LogReader {
    static func read(_ fs: some FileSystem, path: String, maximumDimension: Int) throws(SemblanceError) -> LogContents {
        try decode(try fs.readFile(path), path: path, maximumDimension: maximumDimension)
    }

    /// Decodes the bytes of a whole log file; `path` only names it in errors.
    static func decode(_ bytes: [UInt8], path: String, maximumDimension: Int) throws(SemblanceError) -> LogContents {
        let header = try LogFormat.decodeHeader(bytes, file: path)
        var contents = LogContents(
            header: header, validLength: Int64(LogFormat.fileHeaderSize), tornTailBytes: 0,
            nextSequence: header.startSequence)
        var offset = LogFormat.fileHeaderSize

        func damage(_ what: String, at position: Int) -> SemblanceError {
            SemblanceError(.corruptFile, what, path: path, offset: position)
        }
        func zeroFrom(_ position: Int) -> Bool { bytes[position...].allSatisfy { $0 == 0 } }
        // The first sector boundary after the last non-zero byte: the file is zero from here.
        let zeroSectorsStart = ((bytes.lastIndex { $0 != 0 } ?? 0) / LogFormat.sectorSize + 1) * LogFormat.sectorSize

        while offset < bytes.count {
            let remaining = bytes.count - offset
            if remaining < LogFormat.frameHeaderSize { break }  // torn inside a frame header
            var reader = ByteReader(Array(bytes[offset..<(offset + LogFormat.frameHeaderSize)]), file: path, baseOffset: offset)
            let magic = try reader.read(UInt32.self)
            let headerCRC = try reader.read(UInt32.self)
            let storedLength = Int(try reader.read(UInt32.self))
            let rawLength = Int(try reader.read(UInt32.self))
            let firstSequence = try reader.read(UInt64.self)
            let recordCount = Int(try reader.read(UInt32.self))
            let payloadCRC = try reader.read(UInt32.self)
            let group = WriteGroup(number: try reader.read(UInt64.self), participants: ShardSet(bytes: Array(try reader.readBytes(32))))
            guard magic == LogFormat.frameMagic,
                  headerCRC == CRC32C.checksum(bytes[(offset + 8)..<(offset + LogFormat.frameHeaderSize)])
            else {
                // Zeros from the frame's start, or from a sector boundary inside its header, to
                // the end: an append whose (later) sectors never reached the disk.
                if zeroFrom(offset) || zeroSectorsStart < offset + LogFormat.frameHeaderSize { break }
                throw damage("frame header damaged (magic or checksum)", at: offset)
            }
            guard rawLength <= LogFormat.maximumFrameBytes, storedLength <= rawLength else {
                throw damage("frame declares \(storedLength) stored / \(rawLength) raw bytes, over the limits", at: offset)
            }
            let payloadStart = offset + LogFormat.frameHeaderSize
            if payloadStart + storedLength > bytes.count { break }  // torn inside the payload
            let stored = bytes[payloadStart..<(payloadStart + storedLength)]
            guard payloadCRC == CRC32C.checksum(stored) else {
                if zeroFrom(payloadStart) || zeroSectorsStart < payloadStart + storedLength { break }
                throw damage("frame payload checksum mismatch", at: payloadStart)
            }
            guard firstSequence == contents.nextSequence else {
                throw damage("frame starts at sequence \(firstSequence), expected \(contents.nextSequence)", at: offset)
            }
            let raw: [UInt8]
            do {
                raw = storedLength < rawLength
                    ? try LZ4.decompress(Array(stored), size: rawLength, limit: LogFormat.maximumFrameBytes)
                    : Array(stored)
            } catch {
                throw damage("frame payload does not decompress (\(error.message))", at: payloadStart)
            }
            var payload = ByteReader(raw, file: path + " (decompressed frame payload)", baseOffset: 0)
            let (end, overflow) = firstSequence.addingReportingOverflow(UInt64(recordCount))
            guard !overflow else { throw damage("frame sequence numbers overflow", at: offset) }
            var records: [LogRecord] = []
            records.reserveCapacity(min(recordCount, raw.count / 3))  // a record takes at least 3 bytes
            for _ in 0..<recordCount {
                records.append(try LogRecord.decode(from: &payload, maximumDimension: maximumDimension))
            }
            guard payload.isAtEnd else { throw damage("frame payload has \(payload.remaining) bytes after its records", at: payloadStart) }
            guard group.participants.contains(Int(header.shard)) else {
                throw damage("frame of group \(group.number) does not list its own shard \(header.shard) among the group's shards", at: offset + 40)
            }
            contents.frames.append(LogContents.Frame(firstSequence: firstSequence, records: records, group: group,
                                                     start: Int64(offset), end: Int64(payloadStart + storedLength),
                                                     payloadChecksum: payloadCRC))
            contents.nextSequence = end
            offset = payloadStart + storedLength
            contents.validLength = Int64(offset)
        }
        contents.tornTailBytes = Int64(bytes.count) - contents.validLength
        return contents
    }
}
