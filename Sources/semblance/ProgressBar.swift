import Foundation
import Synchronization

/// A one-line progress bar on standard error, redrawn in place at most ten times a second.
/// Callable from any thread (compaction reports progress from its rebuilding thread).
final class ProgressBar: Sendable {
    private struct State {
        var lastDraw: ContinuousClock.Instant?
        var drawn = false
    }

    static let width = 28
    static let interval = Duration.milliseconds(100)
    private let label: String
    private let state = Mutex(State())

    init(label: String) { self.label = label }

    /// Redraws the bar: `fraction` done (nil when unknown) and a short `detail`.
    /// - Parameter force: draw even if the last draw was less than 100 ms ago.
    func show(fraction: Double?, detail: String, force: Bool = false) {
        let now = ContinuousClock.now
        let due = state.withLock { s -> Bool in
            if !force, let last = s.lastDraw, now - last < Self.interval { return false }
            s.lastDraw = now
            s.drawn = true
            return true
        }
        guard due else { return }
        var line = label + " "
        if let fraction {
            let clamped = min(max(fraction, 0), 1)
            let filled = Int((clamped * Double(Self.width)).rounded(.down))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: Self.width - filled) + "] "
            line += Terminal.padLeft(String(Int(clamped * 100)) + "%", 4) + "  "
        }
        line += detail
        // Carriage return, then clear the line: the bar is redrawn where it stands.
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
    }

    /// Removes the bar, leaving the cursor at the start of an empty line.
    func clear() {
        let drawn = state.withLock { s -> Bool in
            defer { s.drawn = false }
            return s.drawn
        }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }
}

/// Lets an event through at most once per interval: for progress lines that must not flood.
final class Throttle: Sendable {
    private let interval: Duration
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    init(_ interval: Duration) { self.interval = interval }

    /// True when the last event let through was at least an interval ago.
    func isDue() -> Bool {
        let now = ContinuousClock.now
        return last.withLock { last in
            if let previous = last, now - previous < interval { return false }
            last = now
            return true
        }
    }
}
