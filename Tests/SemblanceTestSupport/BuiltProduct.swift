import Foundation

/// Finds an executable product of this package for tests that run it as a child process:
/// the path in `environmentVariable` if set, else next to the test executable or bundle
/// (SwiftPM puts every product of a configuration in one folder, `.build/<config>/`).
public enum BuiltProduct {
    public struct NotFound: Error, CustomStringConvertible {
        public let description: String
    }

    /// - Parameter hint: how the product gets built, for the error message.
    public static func url(named name: String, environmentVariable: String, hint: String) throws -> URL {
        var candidates: [String] = []
        if let path = ProcessInfo.processInfo.environment[environmentVariable] { candidates.append(path) }
        var folders: [URL] = []
        if let executable = Bundle.main.executableURL { folders.append(executable.deletingLastPathComponent()) }
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            folders.append(URL(fileURLWithPath: path).deletingLastPathComponent())
        }
        folders.append(URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.deletingLastPathComponent())
        // macOS: the tests run inside an .xctest bundle that sits in the products folder.
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        candidates += folders.map { $0.appendingPathComponent(name).path }
        var seen = Set<String>()
        candidates = candidates.filter { seen.insert($0).inserted }
        for path in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: path) {
                return URL(fileURLWithPath: path)
            }
        }
        throw NotFound(description: """
            \(name) was not found; looked at:
              \(candidates.joined(separator: "\n  "))
            \(hint) Set \(environmentVariable) to use another.
            """)
    }
}
