import Metrics

/// A collection's swift-metrics instruments, labelled with the collection's name. With no
/// metrics backend bootstrapped they cost next to nothing.
struct CollectionMetrics: Sendable {
    let upserts: Counter
    let inserts: Counter
    let updates: Counter
    let deletes: Counter
    let searches: Counter
    let writeDuration: Metrics.Timer
    let searchDuration: Metrics.Timer
    let batchSearchDuration: Metrics.Timer
    let checkpointDuration: Metrics.Timer
    let compactionDuration: Metrics.Timer
    let live: Gauge
    let deleted: Gauge
    let logBytes: Gauge

    init(collection: String) {
        let dimensions = [("collection", collection)]
        upserts = Counter(label: "semblance_upserts_total", dimensions: dimensions)
        inserts = Counter(label: "semblance_inserts_total", dimensions: dimensions)
        updates = Counter(label: "semblance_updates_total", dimensions: dimensions)
        deletes = Counter(label: "semblance_deletes_total", dimensions: dimensions)
        searches = Counter(label: "semblance_searches_total", dimensions: dimensions)
        writeDuration = Metrics.Timer(label: "semblance_write_duration", dimensions: dimensions)
        searchDuration = Metrics.Timer(label: "semblance_search_duration", dimensions: dimensions)
        batchSearchDuration = Metrics.Timer(label: "semblance_batch_search_duration", dimensions: dimensions)
        checkpointDuration = Metrics.Timer(label: "semblance_checkpoint_duration", dimensions: dimensions)
        compactionDuration = Metrics.Timer(label: "semblance_compaction_duration", dimensions: dimensions)
        live = Gauge(label: "semblance_live_vectors", dimensions: dimensions)
        deleted = Gauge(label: "semblance_deleted_vectors", dimensions: dimensions)
        logBytes = Gauge(label: "semblance_log_bytes", dimensions: dimensions)
    }

    func report(_ statistics: CollectionStatistics) {
        live.record(statistics.live)
        deleted.record(statistics.deleted)
        logBytes.record(statistics.logBytes)
    }
}

extension Metrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
