import Foundation

/// The progress of a shard rebuild (`compact`, `reencode`): on a terminal a bar; with
/// --json a progress line about twice a second ({"event": "progress", "linked", "total"}).
struct RebuildProgress: Sendable {
    private struct Line: Encodable {
        var event = "progress"
        var linked: Int
        var total: Int
    }

    private let json: Bool
    private let bar: ProgressBar?
    private let throttle = Throttle(.milliseconds(500))
    private let start = ContinuousClock.now

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
            let elapsed = (ContinuousClock.now - start).seconds
            let fraction = total > 0 ? Double(linked) / Double(total) : 1
            bar.show(fraction: fraction, detail: "\(Terminal.grouped(linked)) of \(Terminal.grouped(total)) vectors  "
                + "\(Terminal.clock(fraction > 0 ? elapsed * (1 - fraction) / fraction : .infinity)) left")
        }
    }

    /// Takes the bar off the terminal.
    func clear() { bar?.clear() }
}
