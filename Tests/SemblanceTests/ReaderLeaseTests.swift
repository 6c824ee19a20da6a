import Foundation
import Testing
@testable import Semblance

/// Readers' leases against a writer's garbage collection, in one process (the files are the
/// ones a reader process writes).
@Suite("Readers' leases")
struct ReaderLeaseTests {
    static func leases(_ folder: TemporaryDirectory) throws -> [LeaseFile] {
        let path = folder.file("docs/leases")
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasSuffix(".next") }.map {
            try JSONDecoder().decode(LeaseFile.self, from: Data(contentsOf: URL(fileURLWithPath: path + "/" + $0)))
        }
    }

    static func objectExists(_ folder: TemporaryDirectory, _ commit: Commit) -> Bool {
        let hex = commit.id
        return FileManager.default.fileExists(atPath: folder.file("docs/objects/" + hex.prefix(2) + "/" + hex.dropFirst(2)))
    }

    @Test("a writer's garbage collection keeps the commit a reader's lease names, whatever retention says, until the reader moves on or closes")
    func collectionKeepsLeasedCommits() async throws {
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let written = try await writer.createCollection("docs", configuration: ReaderTests.configuration)
        try await written.upsert(ReaderTests.records(0..<20))
        let first = try await written.commit(message: "first")

        let reader = try await Client(directory: folder.path, access: .readOnly)
        let read = try await reader.collection("docs")
        #expect(try Self.leases(folder).map(\.commits) == [[first.id]])
        #expect(try Self.leases(folder).first?.process == getpid())

        try await written.upsert(ReaderTests.records(20..<40))
        try await written.commit(message: "second")
        try await written.upsert(ReaderTests.records(40..<60))
        let third = try await written.commit(message: "third")
        let report = try await written.collectGarbage(retention: RetentionPolicy(keepLast: 1), grace: 0)
        #expect(report.readerLeases == 1 && report.leasedCommits == 1)
        #expect(report.keptCommits == 2, "the head and the reader's commit")
        #expect(Self.objectExists(folder, first), "the reader's commit is kept")
        #expect(try await read.history().map(\.id) == [first.id])
        #expect(try await read.snapshot(at: first.id).count == 20)

        #expect(try await read.refresh())
        #expect(read.count == 60)
        #expect(try Self.leases(folder).map(\.commits) == [[third.id]], "the lease moved with the reader")
        let after = try await written.collectGarbage(retention: RetentionPolicy(keepLast: 1), grace: 0)
        #expect(!Self.objectExists(folder, first), "collected once no lease names it")
        #expect(after.keptCommits == 1 && after.readerLeases == 1)

        await reader.close()
        #expect(try Self.leases(folder).isEmpty, "the lease is removed on close")
        #expect(try await written.collectGarbage(grace: 0).readerLeases == 0)
        await writer.close()
    }

    @Test("a lease that lapsed protects nothing: the collector removes it, the reader gets .leaseExpired for history, and refresh() takes a new one")
    func lapsedLease() async throws {
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let written = try await writer.createCollection("docs", configuration: ReaderTests.configuration)
        try await written.upsert(ReaderTests.records(0..<20))
        let first = try await written.commit(message: "first")

        // Long enough that a loaded machine renews it in time once renewals resume.
        let reader = try await Client(directory: folder.path, access: .readOnly.leaseDuration(2))
        #expect(reader.access.leaseDuration == 2)
        let read = try await reader.collection("docs")
        let lease = try #require(read.engine.files.lease)
        // As a suspended process: no renewal, until the lease has expired.
        lease.pauseRenewals(true)
        try await Task.sleep(for: .milliseconds(2_500))

        try await written.upsert(ReaderTests.records(20..<40))
        let second = try await written.commit(message: "second")
        let report = try await written.collectGarbage(retention: RetentionPolicy(keepLast: 1), grace: 0)
        #expect(report.readerLeases == 0, "the expired lease counts for nothing")
        #expect(try Self.leases(folder).isEmpty, "and is removed")
        #expect(!Self.objectExists(folder, first))

        // What it holds in memory still answers; what would read its commit again refuses.
        #expect(read.count == 20 && read.get("r7") != nil)
        for (what, use) in [("history", { _ = try await read.history() }), ("snapshot", { _ = try await read.snapshot(at: "main") })] as [(String, () async throws -> Void)] {
            let error = await #expect(throws: SemblanceError.self, "\(what)") { try await use() }
            #expect(error?.code == .leaseExpired, "\(what): \(String(describing: error))")
            #expect(error?.message.contains("refresh()") == true)
        }

        lease.pauseRenewals(false)
        #expect(try await read.refresh())
        #expect(read.count == 40)
        #expect(try await read.history().map(\.id) == [second.id])
        #expect(try Self.leases(folder).map(\.commits) == [[second.id]])
        await reader.close()
        await writer.close()
    }

    @Test("a file in leases/ that is not a lease stops the collection with .corruptFile naming it; a bad lease duration is refused")
    func damagedLease() async throws {
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let written = try await writer.createCollection("docs", configuration: ReaderTests.configuration)
        try await written.upsert(ReaderTests.records(0..<5))
        try await written.commit(message: "first")
        try FileManager.default.createDirectory(atPath: folder.file("docs/leases"), withIntermediateDirectories: true)
        try Data("{\"expires\": 1".utf8).write(to: URL(fileURLWithPath: folder.file("docs/leases/broken")))
        let error = await #expect(throws: SemblanceError.self) { try await written.collectGarbage(grace: 0) }
        #expect(error?.code == .corruptFile)
        #expect(error?.path == folder.file("docs/leases/broken"))
        try FileManager.default.removeItem(atPath: folder.file("docs/leases/broken"))
        #expect(try await written.collectGarbage(grace: 0).readerLeases == 0)
        await writer.close()

        for bad in [0, -1, Double.infinity, .nan] {
            let refused = await #expect(throws: SemblanceError.self) { try await Client(directory: folder.path, access: .readOnly.leaseDuration(bad)) }
            #expect(refused?.code == .invalidArgument)
        }
    }
}
