import Foundation

/// The command line of semblance-collection-bench.
///
///   semblance-collection-bench [--part collection|filtered] [--dataset NAME] [--data DIR]
///                              [--k K] [--ef EF] [--passes N] [--shards 1,2,4]
///                              [--queries N] [--wait-load L] [--wait-limit S]
///                              [--autogroup-nice N] [--out FILE]
///
/// The dataset folder is `<DIR>/<NAME>/` (TEXMEX files, see ../shared/bench/README.md);
/// DIR defaults to `$BENCH_DATA`, else `../shared/bench/data` beside the project.
struct Options {
    /// Which benchmark runs: the async API's batch and shard figures (the default), or
    /// filtered search (FilteredRun.swift).
    enum Part: String {
        case collection
        case filtered
    }

    var part = Part.collection
    var dataset = "minilm-debian-60751"
    var dataDirectory: URL
    var k = 10
    var ef = 64
    var passes = 7
    var shardCounts = [1, 2, 4]
    var output: URL?
    /// After building, wait (up to `waitLimit` seconds) until the 1-minute load average is below this.
    var waitLoad: Double?
    /// The longest `--wait-load` waits, in seconds (default an hour).
    var waitLimit = 3600
    /// The filtered part searches only the first N queries (all when nil).
    var queryLimit: Int?
    /// The session's autogroup nice value while measuring (Linux; see SessionPriority).
    var autogroupNice: Int?

    /// The project root (the package above Benchmarks/), found from this file's path.
    static let projectRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // semblance-collection-bench
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()  // Benchmarks
        .deletingLastPathComponent()

    /// Where results go unless `--out` says otherwise: Benchmarks/results/<part>-<dataset>.json.
    var resultsFile: URL {
        output ?? Self.projectRoot.appendingPathComponent("Benchmarks/results/\(part.rawValue)-\(dataset).json")
    }

    init(arguments: [String], environment: [String: String]) throws {
        if let data = environment["BENCH_DATA"], !data.isEmpty {
            dataDirectory = URL(fileURLWithPath: data)
        } else {
            dataDirectory = Self.projectRoot.appendingPathComponent("../shared/bench/data").standardizedFileURL
        }
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let v = rest.popFirst() else { throw BenchError("\(flag) needs a value") }
            return v
        }
        func positive(_ flag: String) throws -> Int {
            guard let n = Int(try value(flag)), n > 0 else { throw BenchError("\(flag) needs a positive integer") }
            return n
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--part":
                let name = try value(flag)
                guard let p = Part(rawValue: name) else { throw BenchError("--part needs collection or filtered, got \(name)") }
                part = p
            case "--dataset": dataset = try value(flag)
            case "--data": dataDirectory = URL(fileURLWithPath: try value(flag))
            case "--k": k = try positive(flag)
            case "--ef": ef = try positive(flag)
            case "--passes": passes = try positive(flag)
            case "--shards":
                shardCounts = try value(flag).split(separator: ",").map {
                    guard let n = Int($0), n > 0 else { throw BenchError("--shards needs positive integers, got \($0)") }
                    return n
                }
            case "--queries": queryLimit = try positive(flag)
            case "--wait-limit": waitLimit = try positive(flag)
            case "--out": output = URL(fileURLWithPath: try value(flag))
            case "--wait-load":
                guard let l = Double(try value(flag)), l > 0 else { throw BenchError("--wait-load needs a positive number") }
                waitLoad = l
            case "--autogroup-nice":
                guard let n = Int(try value(flag)), (-20...19).contains(n) else { throw BenchError("--autogroup-nice needs -20...19") }
                autogroupNice = n
            case "-h", "--help":
                print("usage: semblance-collection-bench [--part collection|filtered] [--dataset NAME] [--data DIR] [--k K] [--ef EF] [--passes N] [--shards 1,2,4] [--queries N] [--wait-load L] [--wait-limit S] [--autogroup-nice N] [--out FILE]")
                exit(0)
            default: throw BenchError("unknown argument \(flag)")
            }
        }
        if !shardCounts.contains(1) { shardCounts.insert(1, at: 0) }  // the batch comparison runs on 1 shard
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
