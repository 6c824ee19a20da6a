import Foundation
import Semblance

/// The inputs of the benchmark harness's external-program protocol (version 1), read from
/// the environment.
struct AnnProtocol {
    let base: URL
    let query: URL
    let outDirectory: URL
    let metric: String
    let k: Int
    let m: Int
    let efConstruction: Int
    let efSearch: [Int]
    let buildThreads: [Int]

    init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value(_ name: String) throws -> String {
            guard let v = environment[name], !v.isEmpty else { throw AnnError("missing environment variable \(name)") }
            return v
        }
        func int(_ name: String) throws -> Int {
            guard let v = Int(try value(name)) else { throw AnnError("\(name) is not an integer") }
            return v
        }
        base = URL(fileURLWithPath: try value("ANN_BASE"))
        query = URL(fileURLWithPath: try value("ANN_QUERY"))
        outDirectory = URL(fileURLWithPath: try value("ANN_OUT_DIR"))
        metric = try value("ANN_METRIC")
        k = try int("ANN_K")
        m = try int("ANN_M")
        efConstruction = try int("ANN_EF_CONSTRUCTION")
        efSearch = try value("ANN_EF_SEARCH").split(separator: ",").compactMap { Int($0) }
        let list = environment["ANN_BUILD_THREADS_LIST"] ?? environment["ANN_BUILD_THREADS"] ?? "1"
        buildThreads = list.split(separator: ",").compactMap { Int($0) }
    }
}

struct AnnError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Writes `.ivecs` / `.fvecs` records: an Int32 count, then that many 4-byte values.
enum TexmexWriter {
    static func writeIVecs(_ rows: [[Int32]], to url: URL) throws {
        var data = Data()
        for row in rows {
            append(Int32(row.count), to: &data)
            for v in row { append(v, to: &data) }
        }
        try data.write(to: url)
    }

    static func writeFVecs(_ rows: [[Float]], to url: URL) throws {
        var data = Data()
        for row in rows {
            append(Int32(row.count), to: &data)
            for v in row { append(Int32(bitPattern: v.bitPattern), to: &data) }
        }
        try data.write(to: url)
    }

    private static func append(_ value: Int32, to data: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }
}

/// Peak resident memory of this process (VmHWM), in MiB.
func peakResidentMiB() -> Double { processStatusMiB("VmHWM:") }

/// Resident memory of this process now (VmRSS), in MiB.
func residentMiB() -> Double { processStatusMiB("VmRSS:") }

private func processStatusMiB(_ field: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix(field) {
        let kib = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kib / 1024
    }
    return 0
}

/// The `--encoding` argument (`f32`, `f16`, `bf16`, `int8` or the Swift names); float32 when absent.
func encodingArgument(_ arguments: [String] = CommandLine.arguments) throws -> VectorEncoding {
    guard let flag = arguments.firstIndex(of: "--encoding") else { return .float32 }
    guard flag + 1 < arguments.count, let encoding = VectorEncoding(name: arguments[flag + 1]) else {
        throw AnnError("--encoding takes f32, f16, bf16 or int8")
    }
    return encoding
}

/// The integer after `flag`, or nil when the flag is absent.
func intArgument(_ flag: String, _ arguments: [String] = CommandLine.arguments) throws -> Int? {
    guard let at = arguments.firstIndex(of: flag) else { return nil }
    guard at + 1 < arguments.count, let value = Int(arguments[at + 1]) else { throw AnnError("\(flag) takes an integer") }
    return value
}

/// The string after `flag`, or nil when the flag is absent.
func stringArgument(_ flag: String, _ arguments: [String] = CommandLine.arguments) -> String? {
    guard let at = arguments.firstIndex(of: flag), at + 1 < arguments.count else { return nil }
    return arguments[at + 1]
}
