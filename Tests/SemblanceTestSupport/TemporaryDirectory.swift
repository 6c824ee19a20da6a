import Foundation

/// A fresh directory under the system's temporary folder, removed when the test is done.
public final class TemporaryDirectory {
    public let path: String

    public init(_ label: String = "semblance") {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/\(label)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func file(_ name: String) -> String { path + "/" + name }
}
