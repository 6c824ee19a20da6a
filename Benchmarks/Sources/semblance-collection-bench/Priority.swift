import Foundation

/// The CPU share of this process's session on Linux (`/proc/self/autogroup`).
///
/// With autogroup scheduling (the default on Linux desktops and on this shared machine), the
/// scheduler splits the CPUs fairly between *sessions*, not threads: while two other sessions
/// compile, the two worker threads of a batch search get one core between them, exactly as
/// much as a single thread. `--autogroup-nice N` (negative raises the share; needs root or
/// CAP_SYS_NICE) sets the session's nice value for the measurements only, so the figures show
/// what the code does with the cores rather than how busy the neighbours are. Run the
/// program under `setsid` so that the session holds only this process.
enum SessionPriority {
    static let file = "/proc/self/autogroup"

    /// The session's current nice value, or nil where there is no autogroup.
    static var current: Int? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
              let value = text.split(separator: " ").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        else { return nil }
        return value
    }

    /// Sets the session's nice value; throws when the kernel refuses.
    static func set(_ nice: Int) throws {
        do {
            try "\(nice)\n".write(toFile: file, atomically: false, encoding: .utf8)
        } catch {
            throw BenchError("cannot set \(file) to \(nice): \(error)")
        }
        guard current == nice else { throw BenchError("\(file) did not take nice \(nice)") }
    }
}
