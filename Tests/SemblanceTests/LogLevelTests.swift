import Logging
import Synchronization
import Testing
@testable import Semblance

/// swift-log's guidance for libraries: routine events at debug or below, so that an
/// application's default (info) log stays quiet.
@Suite("Logging: routine work logs at debug")
struct LogLevelTests {
    /// Every event logged through it, with its level.
    final class Captured: Sendable {
        let events = Mutex<[(Logger.Level, String)]>([])
        var all: [(Logger.Level, String)] { events.withLock { $0 } }
    }

    struct CapturingHandler: LogHandler {
        let captured: Captured
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?

        func log(event: LogEvent) {
            captured.events.withLock { $0.append((event.level, "\(event.message)")) }
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
    }

    @Test("create, write, checkpoint, commit, branch, compact, collect garbage, drop and close log nothing above debug")
    func routineEventsAreDebug() async throws {
        let captured = Captured()
        let logger = Logger(label: "test") { _ in CapturingHandler(captured: captured) }
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path, logger: logger)
        let docs = try await client.createCollection("docs", dimension: 3, metric: .squaredEuclidean)
        try await docs.upsert((0..<50).map { VectorRecord(id: "v\($0)", vector: [Float($0), 1, 2]) })
        _ = try await docs.delete((0..<30).map { "v\($0)" })
        try await docs.checkpoint()
        try await docs.commit(message: "one")
        try await docs.createBranch("b")
        _ = try await docs.compact()
        _ = try await docs.collectGarbage(grace: 0)
        try await client.dropCollection("docs")
        await client.close()
        let events = captured.all
        #expect(!events.isEmpty, "the work above logs at debug: the handler must see it")
        let loud = events.filter { $0.0 > .debug }
        #expect(loud.isEmpty, "logged above debug: \(loud)")
    }
}
