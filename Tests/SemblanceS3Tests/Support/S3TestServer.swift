import Foundation
import Semblance
import Testing
@testable import SemblanceS3
#if canImport(Glibc)
import Glibc
#endif

/// A real S3-protocol server for the tests: moto's server mode (`moto[server]` from PyPI,
/// which scripts/test.sh installs), started once per test process on a free loopback port
/// and stopped when the process ends. Each test takes a bucket of its own.
final class S3TestServer: Sendable {
    static let shared = Result { try S3TestServer() }

    let endpoint: String

    private init() throws {
        let port = try Self.freePort()
        endpoint = "http://127.0.0.1:\(port)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The shell stops the server (which ignores SIGTERM) when the test process, its
        // parent, is gone, however that process ends. Neither holds the test's output open.
        process.arguments = ["-c", "python3 -m moto.server -H 127.0.0.1 -p \(port) & server=$!; "
            + "while kill -0 $PPID 2>/dev/null; do sleep 1; done; kill -9 $server"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while !Self.accepts(port) {
            guard Date() < deadline, process.isRunning else {
                throw S3TestError("moto's server did not start on port \(port): install it with `python3 -m pip install 'moto[server]'` (scripts/test.sh does)")
            }
            usleep(50_000)
        }
    }

    /// A configuration for the server (moto takes any credentials).
    var configuration: S3Configuration {
        S3Configuration(endpoint: endpoint, region: "us-east-1", accessKeyID: "testing", secretAccessKey: "testing")
    }

    /// A new, empty bucket (named `named`, else at random); the store at `s3://<bucket>/<prefix>`.
    static func bucket(named: String? = nil, prefix: String = "db") async throws -> S3ObjectStore {
        let server = try shared.get()
        let name = named ?? "test-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let store = try S3ObjectStore("s3://\(name)/\(prefix)", configuration: server.configuration)
        try await store.createBucket()
        return store
    }

    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw S3TestError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(_ port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

struct S3TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// scripts/s3_fault_proxy.py in front of the tests' S3 server: failures injected at the
/// HTTP level, queued one per request.
final class S3FaultProxy: Sendable {
    static let shared = Result { try S3FaultProxy() }

    let endpoint: String

    private init() throws {
        let server = try S3TestServer.shared.get()
        let upstream = try #require(Int(server.endpoint.split(separator: ":").last ?? ""))
        let port = try S3TestServer.freePort()
        endpoint = "http://127.0.0.1:\(port)"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/s3_fault_proxy.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, String(port), String(upstream)]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while !S3TestServer.accepts(port) {
            guard Date() < deadline, process.isRunning else { throw S3TestError("the fault proxy did not start on port \(port)") }
            usleep(20_000)
        }
    }

    /// A store at a new bucket, reached through the proxy, whose tries last `timeout` seconds.
    func bucket(timeout: Double = 1) async throws -> S3ObjectStore {
        let direct = try await S3TestServer.bucket()
        var configuration = try S3TestServer.shared.get().configuration
        configuration.endpoint = endpoint
        configuration.requestTimeout = timeout
        return try S3ObjectStore(direct.location, configuration: configuration)
    }

    /// Queues `faults` for the next requests through the proxy (any test's: the suite that
    /// uses it runs its tests one at a time).
    func inject(_ faults: [String]) async throws {
        let response = try await control.send("PUT", key: nil, body: Array(faults.joined(separator: ",").utf8))
        guard response.status.code == 200 else { throw S3TestError("the fault proxy answered \(response.status.code)") }
    }

    /// How many queued faults are left.
    func queued() async throws -> Int {
        Int(String(decoding: try await control.send("GET", key: nil).body, as: UTF8.self)) ?? -1
    }

    /// The proxy's control address, `/fault-control`, reached as a bucket of that name.
    private var control: S3ObjectStore {
        get throws {
            var configuration = try S3TestServer.shared.get().configuration
            configuration.endpoint = endpoint
            configuration.maximumAttempts = 1
            return try S3ObjectStore("s3://fault-control", configuration: configuration)
        }
    }
}
