import Foundation
import Semblance

// Common ways of handling errors, compiled against the public API. Each function returns
// what it caught, so the tests can also check that the right branch ran.

/// A `do` mixing our calls with Foundation's: `error` is `any Error` there, and a code still
/// matches in a `catch`.
func mixedDo(_ collection: VectorCollection, reading file: URL) async -> String {
    do {
        let data = try Data(contentsOf: file)
        try await collection.upsert(id: "from-file", vector: [Float(data.count), 1, 1])
        return "stored"
    } catch SemblanceError.Code.dimensionMismatch {
        return "dimension"
    } catch let error as SemblanceError {
        return "semblance \(error.code)"
    } catch {
        return "other \(type(of: error))"
    }
}

/// A `do` with only our calls: `error` is a `SemblanceError`, with its code and message.
func ourDo(_ collection: VectorCollection) async -> SemblanceError.Code? {
    do {
        try await collection.upsert(id: "", vector: [1, 1, 1])
        return nil
    } catch {
        return error.code
    }
}

/// A function that throws `any Error` calls ours with a plain `try`.
func untypedCaller(_ collection: VectorCollection) async throws -> Int {
    try await collection.upsert(id: "u", vector: [1, 2, 3])
    return try await collection.search([1, 2, 3], k: 1).count
}

/// Concurrent writes from a throwing task group.
func taskGroupWrites(_ collection: VectorCollection) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for i in 0..<4 {
            group.addTask { try await collection.upsert(id: "t\(i)", vector: [Float(i) + 1, 1, 1]) }
        }
        try await group.waitForAll()
    }
}

/// Closures passed to the API: a progress closure that throws nothing, an export to a
/// closure that throws nothing (no `try`), and one that throws Foundation's errors.
func closures(_ collection: VectorCollection, to file: URL) async throws -> (compacted: Int, bytes: Int, written: Int) {
    var calls = 0
    let removed = try await collection.compact(progress: { linked, total in precondition(linked <= total) })
    var bytes = 0
    let snapshot = collection.snapshot()
    let exported = snapshot.exportJSONLines({ chunk in bytes += chunk.count }, progress: { _ in calls += 1 })
    _ = FileManager.default.createFile(atPath: file.path, contents: nil)
    let handle = try FileHandle(forWritingTo: file)
    defer { try? handle.close() }
    let written = try snapshot.exportJSONLines({ chunk in try handle.write(contentsOf: chunk) })
    precondition(exported == written && calls > 0)
    return (removed, bytes, written)
}

/// `try?` and `Result` around our calls.
func optionalAndResult(_ collection: VectorCollection) async -> (Bool, Bool) {
    let hits = try? await collection.search([1, 0, 0], k: 0)
    let result = Result { () throws(SemblanceError) in try collection.snapshot().search([1, 0, 0], k: 1) }
    return (hits == nil, (try? result.get()) != nil)
}
