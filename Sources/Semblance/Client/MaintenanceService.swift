import Logging
import ServiceLifecycle

/// Runs a ``Client``'s background maintenance inside an application's `ServiceGroup`
/// (swift-service-lifecycle): at every interval, compacts the open collections whose
/// deletion ratio passed their threshold; every `garbageInterval`, collects each open
/// collection's garbage under its retention policy (with a grace period of
/// `garbageGrace`). Neither blocks searches or writes. On graceful shutdown it stops, waits
/// for the queued writes, and closes the client.
///
/// ```swift
/// let client = try await Client(directory: "/var/lib/myapp/vectors")
/// let group = ServiceGroup(services: [MaintenanceService(client: client)], logger: logger)
/// try await group.run()
/// ```
///
/// Checkpoints need no service: each collection runs them itself when its thresholds pass.
public struct MaintenanceService: Service {
    /// The client whose open collections are maintained, and which is closed on shutdown.
    public let client: Client
    /// Time between maintenance rounds.
    public let interval: Duration
    /// Time between garbage collections.
    public let garbageInterval: Duration
    /// How long an unreachable object waits before it is deleted, in seconds.
    public let garbageGrace: Double

    /// A service for `client`: a round every `interval` (default 10 s), a garbage collection
    /// every `garbageInterval` (default 10 min) with a grace of `garbageGrace` seconds.
    public init(client: Client, interval: Duration = .seconds(10), garbageInterval: Duration = .seconds(600), garbageGrace: Double = 600) {
        self.client = client
        self.interval = interval
        self.garbageInterval = garbageInterval
        self.garbageGrace = garbageGrace
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { [client, interval, garbageInterval, garbageGrace] in
            var lastCollection = ContinuousClock.now
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { break }
                await client.runMaintenance()
                if ContinuousClock.now - lastCollection >= garbageInterval {
                    await client.collectGarbage(grace: garbageGrace)
                    lastCollection = .now
                }
            }
        }
        await client.close()
    }
}

extension Client {
    /// One maintenance round: compacts each open collection that needs it. Errors are
    /// logged, not thrown: the next round tries again. A read-only client has nothing to do.
    public func runMaintenance() async {
        for collection in openCollections where !collection.isReadOnly && collection.needsCompaction {
            do {
                let removed = try await collection.compact(onlyWhenNeeded: true)
                logger.debug("maintenance compacted", metadata: ["collection": "\(collection.name)", "tombstonesRemoved": "\(removed)"])
            } catch {
                logger.error("maintenance compaction failed", metadata: ["collection": "\(collection.name)", "error": "\(error.message)"])
            }
        }
    }
}

extension Client {
    /// Collects the garbage of each open collection (once per collection, whichever of its
    /// branches are open) under its retention policy. Errors are logged, not thrown. A
    /// read-only client has nothing to do.
    public func collectGarbage(grace: Double = 600) async {
        var done = Set<String>()
        for collection in openCollections where !collection.isReadOnly && done.insert(collection.name).inserted {
            do {
                let report = try await collection.collectGarbage(grace: grace)
                if report.deletedObjects > 0 {
                    logger.debug("garbage collected", metadata: ["collection": "\(collection.name)", "deletedObjects": "\(report.deletedObjects)",
                                                                "freedBytes": "\(report.freedBytes)"])
                }
            } catch {
                logger.error("garbage collection failed", metadata: ["collection": "\(collection.name)", "error": "\(error.message)"])
            }
        }
    }
}
