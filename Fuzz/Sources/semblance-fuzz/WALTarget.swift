@testable import Semblance

/// The write-ahead log reader, `LogReader.decode`, on whole log files.
///
/// Each input is decoded as it is, then again with its checksums recomputed (see
/// ``repairedChecksums(_:)``), so that mutations inside frames reach the record decoder
/// instead of stopping at a CRC. When a log decodes:
/// - its lengths add up (valid prefix + torn tail = file) and its sequence numbers follow
///   on from one frame to the next;
/// - the valid prefix alone (what reopening keeps) decodes to the same frames, with no tail;
/// - the frames written again by `LogWriter` decode to the same header and records.
///
/// Only ``repairedChecksums(_:)`` knows the byte layout; everything else goes through the
/// library's reader and writer, so the target follows a format change as it is (regenerate
/// the seeds: scripts/fuzz.sh --seeds).
enum WALTarget {
    static let target = FuzzTarget(
        name: "wal", summary: "write-ahead log files (LogReader.decode)",
        run: { run($0) }, seeds: { try seeds() })

    /// The largest vector a record may hold here (the store passes its collection's dimension).
    static let maximumDimension = 1024

    static func run(_ input: [UInt8]) {
        check(input)
        if let repaired = repairedChecksums(input), repaired != input { check(repaired) }
    }

    static func check(_ bytes: [UInt8]) {
        guard let contents = try? LogReader.decode(bytes, path: "fuzz.log", maximumDimension: maximumDimension) else { return }
        require(contents.validLength > 0 && contents.validLength <= Int64(bytes.count),
                "valid length \(contents.validLength) of a \(bytes.count)-byte file")
        require(contents.validLength + contents.tornTailBytes == Int64(bytes.count),
                "valid length \(contents.validLength) + torn tail \(contents.tornTailBytes) != \(bytes.count) bytes")
        var next = contents.header.startSequence
        for frame in contents.frames {
            require(frame.firstSequence == next, "a frame starts at \(frame.firstSequence), expected \(next)")
            require(frame.group.participants.contains(Int(contents.header.shard)), "a frame's shards leave out its own")
            next += UInt64(frame.records.count)
        }
        require(contents.nextSequence == next, "next sequence \(contents.nextSequence), the frames end at \(next)")

        // Reopening cuts the torn tail off: what is left must read back the same, whole.
        if contents.tornTailBytes > 0 {
            let prefix = Array(bytes[..<Int(contents.validLength)])
            guard let kept = try? LogReader.decode(prefix, path: "fuzz.log", maximumDimension: maximumDimension) else {
                fatalError("property violated: the valid prefix (\(prefix.count) bytes) of a readable log does not decode")
            }
            requireSame(kept, contents, "the valid prefix")
            require(kept.tornTailBytes == 0, "the valid prefix has a torn tail of \(kept.tornTailBytes) bytes")
        }

        // What the writer makes of the same frames reads back the same.
        let rewritten: [UInt8]
        do {
            rewritten = try writeLog(contents.header, frames: contents.frames.map { ($0.records, $0.group) })
        } catch {
            fatalError("property violated: a decoded log cannot be written again: \(error)")
        }
        guard let again = try? LogReader.decode(rewritten, path: "rewritten.log", maximumDimension: maximumDimension) else {
            fatalError("property violated: a log written again from decoded frames does not decode")
        }
        requireSame(again, contents, "the log written again")
        require(again.tornTailBytes == 0 && again.validLength == Int64(rewritten.count),
                "the log written again has a torn tail")
    }

    /// Same header, frames and records (records compared by their encoding, so NaN
    /// components compare bit for bit).
    static func requireSame(_ a: LogContents, _ b: LogContents, _ what: String) {
        require(a.header == b.header, "\(what): header \(a.header), expected \(b.header)")
        require(a.nextSequence == b.nextSequence, "\(what): next sequence \(a.nextSequence), expected \(b.nextSequence)")
        require(a.frames.count == b.frames.count, "\(what): \(a.frames.count) frames, expected \(b.frames.count)")
        for (x, y) in zip(a.frames, b.frames) {
            require(x.group == y.group, "\(what): frame of group \(x.group), expected \(y.group)")
            require(x.firstSequence == y.firstSequence && x.records.count == y.records.count,
                    "\(what): frame at \(x.firstSequence) with \(x.records.count) records, expected \(y.firstSequence) with \(y.records.count)")
            for (r, s) in zip(x.records, y.records) {
                require(encoding(of: r) == encoding(of: s), "\(what): record \(r) differs from \(s)")
            }
        }
    }

    static func encoding(of record: LogRecord) -> [UInt8] {
        var writer = ByteWriter()
        record.encode(into: &writer)
        return writer.bytes
    }

    /// A log file with `header` holding `frames`, as the library's writer makes it.
    static func writeLog(_ header: LogFormat.FileHeader, frames: [([LogRecord], WriteGroup)]) throws(SemblanceError) -> [UInt8] {
        let fs = MemoryFileSystem()
        let writer = try LogWriter.create(fs, path: "/shard.log", header: header)
        for (records, group) in frames { try writer.append(records, group: group, sync: false) }
        writer.close()
        return fs["/shard.log"] ?? []
    }

    /// A seed log of shard `shard` from `startSequence`, one frame per batch, each its own
    /// group (the shard alone, or with shard 0 as well).
    static func writeLog(shard: UInt32, startSequence: UInt64, batches: [[LogRecord]], base: ObjectHash? = nil) throws(SemblanceError) -> [UInt8] {
        let identity = LogIdentity(collectionID: CollectionID(bytes: Array(1...16)), branch: "main")
        let header = LogFormat.FileHeader(identity: identity, shard: shard, baseCommit: base, startSequence: startSequence)
        return try writeLog(header, frames: batches.enumerated().map { i, records in
            (records, WriteGroup(number: UInt64(i + 1), participants: ShardSet(i % 2 == 0 ? [Int(shard)] : [0, Int(shard)])))
        })
    }

    // MARK: Checksums

    /// `input` with its CRC-32C fields recomputed, for the layout of log format version 2
    /// (docs/file-format.md): the file header's at 136 over bytes 0..<136, then per frame
    /// (72-byte header, then `storedLength` payload bytes) the payload CRC at 28 and the
    /// header CRC at 4 over the frame header's bytes 8..<72. nil unless the input starts with
    /// the log magic. This is the one place that knows the layout: after a format change it
    /// only needs updating to keep the fuzzer past the checksums (a stale one is harmless;
    /// the input as it is is always decoded too).
    static func repairedChecksums(_ input: [UInt8]) -> [UInt8]? {
        let magic = Array("SMBLWAL".utf8) + [0]
        let headerSize = LogFormat.fileHeaderSize, frameHeaderSize = LogFormat.frameHeaderSize
        guard input.count >= headerSize, input.starts(with: magic) else { return nil }
        var bytes = input
        func put(_ value: UInt32, at offset: Int) {
            for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
        }
        func u32(at offset: Int) -> Int {
            (0..<4).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
        }
        put(CRC32C.checksum(bytes[0..<(headerSize - 8)]), at: headerSize - 8)
        var offset = headerSize
        while bytes.count - offset >= frameHeaderSize {
            let stored = u32(at: offset + 8)
            let payload = offset + frameHeaderSize
            guard stored <= bytes.count - payload else { break }  // a torn frame stays torn
            put(CRC32C.checksum(bytes[payload..<(payload + stored)]), at: offset + 28)
            put(CRC32C.checksum(bytes[(offset + 8)..<(offset + frameHeaderSize)]), at: offset + 4)
            offset = payload + stored
        }
        return bytes
    }

    // MARK: Seeds

    static func seeds() throws -> [(name: String, bytes: [UInt8])] {
        let small: [LogRecord] = [
            .upsert(id: "a", vector: [1, 0, 0, 0]),
            .upsert(id: "b", vector: [0, 1, 0.5, -2]),
            .delete(id: "a"),
        ]
        let withMetadata: [LogRecord] = [
            .upsertWithMetadata(id: "doc-1", vector: [0.25, -1, 3, 4],
                                metadata: ["lang": "en", "year": 2024, "score": 0.5, "tags": ["db", "swift"], "draft": false]),
            .setMetadata(id: "doc-1", metadata: ["lang": "de", "author": ["name": "Ada", "born": 1815], "note": nil]),
            .setMetadata(id: "b", metadata: nil),
            .upsert(id: "é-ü-🙂", vector: [.nan, .infinity, -0.0, Float(bitPattern: 1)]),
        ]
        // Zeros compress: this frame's payload is stored as an LZ4 block.
        let compressible: [LogRecord] = (0..<8).map { .upsert(id: "row-\($0)", vector: [Float](repeating: 0, count: 64)) }
        let base = ObjectHash(of: Array("a commit".utf8))
        let several = try writeLog(shard: 3, startSequence: 1000, batches: [small, withMetadata, [], compressible], base: base)
        return [
            ("seed-empty", try writeLog(shard: 0, startSequence: 1, batches: [])),
            ("seed-one-frame", try writeLog(shard: 0, startSequence: 1, batches: [small])),
            ("seed-metadata", try writeLog(shard: 1, startSequence: 7, batches: [withMetadata])),
            ("seed-compressed", try writeLog(shard: 0, startSequence: 1, batches: [compressible])),
            ("seed-several-frames", several),
            // A crash in the middle of an append: the file ends inside the last frame.
            ("seed-torn-tail", Array(several.dropLast(5))),
            // Space allocated past the end and never written.
            ("seed-zero-tail", try writeLog(shard: 0, startSequence: 1, batches: [small]) + [UInt8](repeating: 0, count: 600)),
        ]
    }
}
