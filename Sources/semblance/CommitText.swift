import Foundation
import Semblance

/// How the tool prints commits in text.
enum CommitText {
    static func date(_ date: Date) -> String { date.formatted(.iso8601) }

    /// `<id>  <date>  <message>  (<live> live, <deleted> deleted)  parents <p1> <p2>`.
    static func line(_ commit: Commit) -> String {
        var parts = [commit.id.prefix(12) + "", date(commit.date), commit.message + (commit.isAutomatic ? " [automatic]" : ""),
                     "\(Terminal.grouped(commit.liveCount)) live, \(Terminal.grouped(commit.deletedCount)) deleted"]
        parts.append(commit.parents.isEmpty ? "no parents" : "parents " + commit.parents.map { String($0.prefix(12)) }.joined(separator: " "))
        return parts.joined(separator: "  ")
    }

    static func details(_ commit: Commit) -> [String] {
        [
            "commit    \(commit.id)",
            "branch    \(commit.branch)",
            "date      \(date(commit.date))",
            "kind      \(commit.isAutomatic ? "automatic (a checkpoint)" : "user commit")",
            "records   \(Terminal.grouped(commit.liveCount)) live, \(Terminal.grouped(commit.deletedCount)) deleted",
            "parents   \(commit.parents.isEmpty ? "none (the start of its history)" : commit.parents.joined(separator: " "))",
            "",
            "    \(commit.message)",
        ]
    }
}
