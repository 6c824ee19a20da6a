import Foundation

/// The conditions the measurements run under: `--wait-load` waits for a quiet machine first,
/// `--autogroup-nice` raises the session's CPU share until `end()` puts it back.
struct MeasuringSession {
    /// The load average when the measurements start.
    let loadBefore: [Double]
    /// The session's autogroup nice value while measuring (nil: no autogroup).
    let nice: Int?
    private let niceBefore: Int?
    private let raised: Bool

    static func begin(_ options: Options) async throws -> MeasuringSession {
        var loadBefore = loadAverage()
        if let threshold = options.waitLoad {
            log("waiting up to \(options.waitLimit) s for the 1-minute load average to drop below \(threshold) (now \(loadBefore))")
            loadBefore = await waitForLoad(below: threshold, limit: .seconds(options.waitLimit))
        }
        log("load before measuring: \(loadBefore)")
        let niceBefore = SessionPriority.current
        if let nice = options.autogroupNice {
            try SessionPriority.set(nice)
            log("session autogroup nice \(niceBefore.map(String.init) ?? "?") -> \(nice) while measuring")
        }
        return MeasuringSession(loadBefore: loadBefore, nice: options.autogroupNice ?? niceBefore, niceBefore: niceBefore,
                                raised: options.autogroupNice != nil)
    }

    /// Restores the session's priority; returns the load average at the end.
    func end() throws -> [Double] {
        let loadAfter = loadAverage()
        if raised, let niceBefore { try SessionPriority.set(niceBefore) }
        return loadAfter
    }
}
