import Foundation
import Synchronization

/// The progress of a shard rebuild (`compact`, `reencode`): on a terminal a bar; with
/// --json a progress line about twice a second ({"event": "progress", "linked", "total"}).
final class RebuildProgress: Sendable {
    private struct Line: Encodable {
        var event = "progress"
        var linked: Int
        var total: Int
    }

    private let json: Bool
    private let bar: ProgressBar?
    private let throttle = Throttle(.milliseconds(500))
    /// When the shard at work began, and its last count: a count below the last is the next
    /// shard, whose time left is estimated afresh.
    private let shard = Mutex((start: ContinuousClock.now, linked: 0))

    /// - Parameter label: what the bar says is happening ("compacting").
    init(label: String, json: Bool) {
        self.json = json
        bar = !json && Terminal.standardErrorIsTerminal ? ProgressBar(label: label) : nil
    }

    /// Called from the rebuilding thread with (linked, total) of the shard at work.
    func report(linked: Int, total: Int) {
        if json {
            if linked == total || throttle.isDue() { try? Output.json(Line(linked: linked, total: total)) }
        } else if let bar {
            let now = ContinuousClock.now
            let start = shard.withLock { shard in
                if linked < shard.linked { shard.start = now }
                shard.linked = linked
                return shard.start
            }
            let elapsed = (now - start).seconds
            let fraction = total > 0 ? Double(linked) / Double(total) : 1
            bar.show(fraction: fraction, detail: "\(Terminal.grouped(linked)) of \(Terminal.grouped(total)) vectors  "
                + "\(Terminal.clock(fraction > 0 ? elapsed * (1 - fraction) / fraction : .infinity)) left")
        }
    }

    /// Takes the bar off the terminal.
    func clear() { bar?.clear() }
}
