import Logging
import ServiceLifecycle

/// Runs a ``Client``'s background maintenance inside an application's `ServiceGroup`
/// (swift-service-lifecycle): at every interval, compacts the open collections whose
/// deletion ratio passed their threshold. On graceful shutdown it stops, waits for the
/// queued writes, and closes the client.
///
/// ```swift
/// let client = try await Client(directory: "/var/lib/myapp/vectors")
/// let group = ServiceGroup(services: [MaintenanceService(client: client)], logger: logger)
/// try await group.run()
/// ```
///
/// Checkpoints need no service: each collection runs them itself when its thresholds pass.
public struct MaintenanceService: Service {
    public let client: Client
    /// Time between maintenance rounds.
    public let interval: Duration

    public init(client: Client, interval: Duration = .seconds(10)) {
        self.client = client
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { [client, interval] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { break }
                await client.runMaintenance()
            }
        }
        await client.close()
    }
}

extension Client {
    /// One maintenance round: compacts each open collection that needs it. Errors are
    /// logged, not thrown: the next round tries again.
    public func runMaintenance() async {
        for collection in openCollections where collection.needsCompaction {
            do {
                let removed = try await collection.compact(onlyWhenNeeded: true)
                logger.info("maintenance compacted", metadata: ["collection": "\(collection.name)", "tombstonesRemoved": "\(removed)"])
            } catch {
                logger.error("maintenance compaction failed", metadata: ["collection": "\(collection.name)", "error": "\(error.message)"])
            }
        }
    }
}
