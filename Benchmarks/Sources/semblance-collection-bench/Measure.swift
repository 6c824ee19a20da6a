import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock seconds since `start`.
func seconds(since start: ContinuousClock.Instant) -> Double {
    seconds(ContinuousClock.now - start)
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// CPU seconds used so far by every thread of this process.
func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// The 1-, 5- and 15-minute load averages (Linux /proc/loadavg), empty elsewhere.
func loadAverage() -> [Double] {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return [] }
    return text.split(separator: " ").prefix(3).compactMap { Double($0) }
}

/// Waits until the 1-minute load average drops below `threshold` (the machine is shared),
/// at most `limit`; returns the load average it starts with.
func waitForLoad(below threshold: Double, limit: Duration = .seconds(3600)) async -> [Double] {
    let deadline = ContinuousClock.now + limit
    while let load = loadAverage().first, load >= threshold, ContinuousClock.now < deadline {
        try? await Task.sleep(for: .seconds(5))
    }
    return loadAverage()
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}

/// Nearest-rank percentile (p in 0...100) of `values`.
func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}

/// Latencies of one pass, in microseconds.
struct LatencySummary: Sendable {
    let p50: Double
    let p99: Double
    let mean: Double

    init(microseconds: [Double]) {
        p50 = percentile(microseconds, 50)
        p99 = percentile(microseconds, 99)
        mean = microseconds.reduce(0, +) / Double(microseconds.count)
    }
}
