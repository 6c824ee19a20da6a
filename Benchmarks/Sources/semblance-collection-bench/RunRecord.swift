import Foundation
import Semblance

/// The parts of a results file that say how and where a run was made, shared by both parts.
enum RunRecord {
    /// The command that reproduces the run.
    static func command(_ options: Options) -> String {
        (options.autogroupNice == nil ? "" : "setsid ")
            + "env BENCH_DATA=\(options.dataDirectory.path) swift run -c release --package-path Benchmarks semblance-collection-bench "
            + CommandLine.arguments.dropFirst().joined(separator: " ")
    }

    /// Cores, CPU model, kernels, and the load around the measurements.
    static func machine(loadBefore: [Double], loadAfter: [Double], autogroupNice: Int?) -> [String: Any] {
        let cpuModel = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? ""
        return [
            "active_processor_count": ProcessInfo.processInfo.activeProcessorCount,
            "processor_count": ProcessInfo.processInfo.processorCount,
            "cpu": cpuModel,
            "kernels": "\(DistanceKernels.best.variant)",
            "loadavg_before": loadBefore,
            "loadavg_after": loadAfter,
            "autogroup_nice_while_measuring": autogroupNice.map { $0 as Any } ?? NSNull(),
        ]
    }
}
