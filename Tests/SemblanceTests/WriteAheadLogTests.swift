import Foundation
import Testing
@testable import Semblance

@Suite("Write-ahead log: frames, torn tails and damage")
struct WriteAheadLogTests {
    static let header = LogFormat.FileHeader(identity: LogIdentity(collectionID: .random(), branch: "main"), shard: 0,
                                             baseCommit: nil, startSequence: 1)
    static let group = WriteGroup(number: 1, participants: ShardSet([0]))

    let fs = PosixFileSystem()

    static func batches(seed: UInt64) -> [[LogRecord]] {
        var rng = SeededGenerator(seed: seed)
        return (0..<6).map { b in
            (0..<(1 + b * 3)).map { i in
                i % 4 == 3 ? .delete(id: "k\(b)-\(i - 1)")
                    : .upsert(id: "k\(b)-\(i)", vector: (0..<16).map { _ in Float.random(in: -1...1, using: &rng) })
            }
        }
    }

    /// A log with the given batches; returns its path and the end offset of every frame.
    func writeLog(_ directory: TemporaryDirectory, _ batches: [[LogRecord]]) throws -> (String, [Int64]) {
        let path = directory.file("shard-0.log")
        let writer = try LogWriter.create(fs, path: path, header: Self.header)
        var ends: [Int64] = []
        for batch in batches {
            try writer.append(batch, group: Self.group, sync: true)
            ends.append(writer.endOffset)
        }
        writer.close()
        return (path, ends)
    }

    @Test("what was appended reads back, in order, with sequence numbers")
    func roundTrip() throws {
        let directory = TemporaryDirectory()
        let batches = Self.batches(seed: 1)
        let (path, _) = try writeLog(directory, batches)
        let contents = try LogReader.read(fs, path: path, maximumDimension: 64)
        #expect(contents.frames.map(\.records) == batches)
        #expect(contents.frames.first?.firstSequence == 1)
        #expect(contents.nextSequence == 1 + UInt64(batches.joined().count))
        #expect(contents.tornTailBytes == 0)
    }

    @Test("reopening appends after the last frame; the log file is owner-only")
    func reopenAndAppend() throws {
        let directory = TemporaryDirectory()
        let batches = Self.batches(seed: 2)
        let (path, _) = try writeLog(directory, Array(batches.prefix(3)))
        let contents = try LogReader.read(fs, path: path, maximumDimension: 64)
        let writer = try LogWriter.open(fs, path: path, after: contents)
        for batch in batches.dropFirst(3) { try writer.append(batch, group: Self.group, sync: true) }
        writer.close()
        #expect(try LogReader.read(fs, path: path, maximumDimension: 64).frames.map(\.records) == batches)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("a log cut anywhere reads as the whole frames before the cut: a torn tail is dropped")
    func truncatedAnywhere() throws {
        let directory = TemporaryDirectory()
        let batches = Self.batches(seed: 3)
        let (path, ends) = try writeLog(directory, batches)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        for cut in LogFormat.fileHeaderSize...original.count {
            try original.prefix(cut).write(to: URL(fileURLWithPath: path))
            let contents = try LogReader.read(fs, path: path, maximumDimension: 64)
            let whole = ends.filter { $0 <= Int64(cut) }.count
            #expect(contents.frames.map(\.records) == Array(batches.prefix(whole)), "cut at \(cut)")
            #expect(contents.validLength == (whole == 0 ? Int64(LogFormat.fileHeaderSize) : ends[whole - 1]))
            // Appending after a torn tail cuts it off, so the new frame is readable.
            let writer = try LogWriter.open(fs, path: path, after: contents)
            try writer.append([.delete(id: "after")], group: Self.group, sync: true)
            writer.close()
            let reread = try LogReader.read(fs, path: path, maximumDimension: 64)
            #expect(reread.frames.last?.records == [.delete(id: "after")] && reread.tornTailBytes == 0, "cut at \(cut)")
        }
    }

    @Test("zeros where a frame should be are a torn tail (space allocated, never written)")
    func zeroFilledTail() throws {
        let directory = TemporaryDirectory()
        let batches = Self.batches(seed: 4)
        let (path, ends) = try writeLog(directory, batches)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.replaceSubrange(Int(ends[3])..., with: [UInt8](repeating: 0, count: bytes.count - Int(ends[3]) + 100))
        try bytes.write(to: URL(fileURLWithPath: path))
        let contents = try LogReader.read(fs, path: path, maximumDimension: 64)
        #expect(contents.frames.map(\.records) == Array(batches.prefix(4)))
    }

    @Test("a last frame whose end sectors are zeros is a torn tail (an append torn at a sector boundary)")
    func lastFrameTornAtSector() throws {
        let directory = TemporaryDirectory()
        let batches = Self.batches(seed: 6)
        let (path, ends) = try writeLog(directory, batches)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let lastStart = Int(ends[ends.count - 2]) + LogFormat.frameHeaderSize
        let boundaries = stride(from: (lastStart / 512 + 1) * 512, to: original.count, by: 512).map { $0 }
        #expect(boundaries.count >= 1, "the last frame spans at least two sectors")
        for boundary in boundaries {
            var torn = original
            torn.replaceSubrange(boundary..., with: [UInt8](repeating: 0, count: original.count - boundary))
            try torn.write(to: URL(fileURLWithPath: path))
            let contents = try LogReader.read(fs, path: path, maximumDimension: 64)
            #expect(contents.frames.map(\.records) == Array(batches.dropLast()), "zeros from \(boundary)")
            #expect(contents.validLength == ends[ends.count - 2])
        }
        // The same frame with one flipped bit and no zeros is damage, not a torn tail.
        var flipped = original
        flipped[original.count - 3] ^= 0x10
        try flipped.write(to: URL(fileURLWithPath: path))
        #expect(throws: SemblanceError.self) { try LogReader.read(fs, path: path, maximumDimension: 64) }
    }

    @Test("a last frame whose header crosses a sector boundary, zeros from there on, is a torn tail")
    func lastFrameHeaderTornAtSector() throws {
        let directory = TemporaryDirectory()
        var rng = SeededGenerator(seed: 9)
        // A first frame that ends just before a 512-byte boundary, so the next frame's header
        // (72 bytes) crosses it.
        for length in 600...1024 {
            let id = String((0..<length).map { _ in Character(UnicodeScalar(UInt8.random(in: 97...122, using: &rng))) })
            let batches: [[LogRecord]] = [[.delete(id: id)], [.delete(id: "second"), .delete(id: "third")]]
            let (path, ends) = try writeLog(directory, batches)
            let start = Int(ends[0])
            guard start % 512 > 512 - LogFormat.frameHeaderSize else { continue }
            let boundary = (start / 512 + 1) * 512
            let original = try Data(contentsOf: URL(fileURLWithPath: path))
            var torn = original
            torn.replaceSubrange(boundary..., with: [UInt8](repeating: 0, count: original.count - boundary))
            try torn.write(to: URL(fileURLWithPath: path))
            let contents = try LogReader.read(fs, path: path, maximumDimension: 64)
            #expect(contents.frames.map(\.records) == [batches[0]])
            #expect(contents.validLength == ends[0] && contents.tornTailBytes > 0)
            // A damaged header with bytes after it is damage, not a torn tail.
            var damaged = original
            damaged[start + 20] ^= 0x01
            try damaged.write(to: URL(fileURLWithPath: path))
            #expect(throws: SemblanceError.self) { try LogReader.read(fs, path: path, maximumDimension: 64) }
            return
        }
        Issue.record("no id length put a frame header across a sector boundary")
    }

    @Test("any flipped bit is a corruptFile error naming the file and an offset, or reads back exactly")
    func flippedBits() throws {
        let directory = TemporaryDirectory()
        let batches = Self.batches(seed: 5)
        let (path, _) = try writeLog(directory, batches)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        var errors = 0
        for byte in 0..<original.count {
            for bit in [0, 3, 7] {
                var damaged = original
                damaged[byte] ^= UInt8(1 << bit)
                try damaged.write(to: URL(fileURLWithPath: path))
                do {
                    let contents = try LogReader.read(fs, path: path, maximumDimension: 64)
                    // Only the zero padding of the file header may change unnoticed.
                    #expect(contents.frames.map(\.records) == batches, "flip at byte \(byte) bit \(bit)")
                } catch {
                    errors += 1
                    #expect([.corruptFile, .unsupportedFormatVersion].contains(error.code))
                    #expect(error.message.contains(path), "message: \(error.message)")
                    #expect(error.code != .corruptFile || error.message.contains("offset"))
                }
            }
        }
        print("log of \(original.count) bytes: \(errors) of \(original.count * 3) bit flips detected")
        #expect(errors >= (original.count - 4) * 3)
    }

    @Test("a file of another format is a corruptFile error; a newer version is unsupportedFormatVersion")
    func otherFormats() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("shard-0.log")
        try Data("{\"not\": \"a log\"}".utf8 + [UInt8](repeating: 7, count: 64)).write(to: URL(fileURLWithPath: path))
        #expect(throws: SemblanceError.self) { try LogReader.read(fs, path: path, maximumDimension: 8) }
        // A well-formed header from a future version 9.
        var header = LogFormat.encode(Self.header)
        header[8] = 9
        header.replaceSubrange(136..<140, with: withUnsafeBytes(of: CRC32C.checksum(header[0..<136]).littleEndian, Array.init))
        try Data(header).write(to: URL(fileURLWithPath: path))
        do {
            _ = try LogReader.read(fs, path: path, maximumDimension: 8)
            Issue.record("no error")
        } catch {
            #expect(error.code == .unsupportedFormatVersion)
            #expect(error.message.contains("version 9"))
        }
    }

    @Test("after a failed write or fsync the writer refuses every later write until reopened", arguments: FaultInjectingFileSystem<PosixFileSystem>.Fault.allCases)
    func poisonedAfterFailure(_ fault: FaultInjectingFileSystem<PosixFileSystem>.Fault) throws {
        for failingCall in [1, 2] {  // the frame's write, then its fsync
            let directory = TemporaryDirectory()
            let path = directory.file("shard-0.log")
            let faulty = FaultInjectingFileSystem(fs)
            let writer = try LogWriter.create(faulty, path: path, header: Self.header)
            try writer.append([.delete(id: "kept")], group: Self.group, sync: true)
            faulty.setPlan(.init(failAt: failingCall, fault: fault, persistent: false))
            #expect(throws: SemblanceError.self) { try writer.append([.delete(id: "failed")], group: Self.group, sync: true) }
            // The fault has passed, but the writer stays closed for writing: no retried fsync.
            do {
                try writer.append([.delete(id: "refused")], group: Self.group, sync: true)
                Issue.record("a write after a failure was accepted")
            } catch {
                #expect(error.code == .storageUnavailable)
            }
            #expect(throws: SemblanceError.self) { try writer.sync() }
            writer.close()
            // Reopened: the acknowledged frame is there; the failed one may be torn (dropped) or whole.
            let contents = try LogReader.read(fs, path: path, maximumDimension: 8)
            #expect(contents.frames.first?.records == [.delete(id: "kept")])
            #expect(!contents.frames.contains { $0.records == [.delete(id: "refused")] })
            let reopened = try LogWriter.open(fs, path: path, after: contents)
            try reopened.append([.delete(id: "again")], group: Self.group, sync: true)
            reopened.close()
            #expect(try LogReader.read(fs, path: path, maximumDimension: 8).frames.last?.records == [.delete(id: "again")])
        }
    }

    @Test("CRC-32C: the standard check value, and hardware and table paths agree")
    func crc() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        var rng = SeededGenerator(seed: 9)
        for length in [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4097] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let table = bytes.withUnsafeBytes { sk_crc32c_software(0, $0.baseAddress, $0.count) }
            #expect(CRC32C.checksum(bytes) == table)
            #expect(CRC32C.checksum(bytes[(length / 2)...], continuing: CRC32C.checksum(bytes[..<(length / 2)])) == table)
        }
    }
}

import SemblanceKernels
