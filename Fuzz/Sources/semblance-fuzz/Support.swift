import Foundation
@testable import Semblance

/// One fuzz target: what it does with an input, and the seed inputs it starts from.
struct FuzzTarget: Sendable {
    let name: String
    let summary: String
    /// Runs one input. Any input is allowed; a broken property traps (see ``require``).
    let run: @Sendable ([UInt8]) -> Void
    /// Seed inputs made with the library's own encoders, named for what they hold.
    let seeds: @Sendable () throws -> [(name: String, bytes: [UInt8])]
}

enum Targets {
    static let all: [FuzzTarget] = [
        WALTarget.target, PageTarget.target, ShardTarget.target, CommitTarget.target,
        MetadataTarget.target, FilterTarget.target, JSONLinesTarget.target,
    ]

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// A property every decoded input must have; when it does not, this traps, so libFuzzer
/// reports the input as a crash and saves it.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError("property violated: \(message())", file: file, line: line) }
}

/// Reads a structured input field by field; running out gives nil, never a trap.
struct InputReader {
    let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - position }
    var isAtEnd: Bool { position >= bytes.count }

    mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, count <= remaining else { return nil }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    mutating func integer<T: FixedWidthInteger>(_: T.Type = T.self) -> T? {
        guard let raw = take(MemoryLayout<T>.size) else { return nil }
        var value: T = 0
        for (i, byte) in raw.enumerated() { value |= T(truncatingIfNeeded: byte) << (8 * i) }
        return value
    }
}

/// Little-endian bytes of `value`, for building structured seeds.
func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
}

/// The binary form of a metadata value (for comparing values bit for bit).
func encoding(of metadata: Metadata) -> [UInt8] {
    var writer = ByteWriter()
    metadata.encode(into: &writer)
    return writer.bytes
}

/// The target this process runs, named by SEMBLANCE_FUZZ_TARGET (main sets it).
let selectedTarget: FuzzTarget = {
    guard let name = ProcessInfo.processInfo.environment["SEMBLANCE_FUZZ_TARGET"], let target = Targets.named(name) else {
        fatalError("SEMBLANCE_FUZZ_TARGET names no target")
    }
    return target
}()
