import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Semblance

/// A database root in an S3-compatible bucket: `s3://BUCKET/PREFIX`, reached over HTTP
/// with AsyncHTTPClient and Signature Version 4.
///
/// ```swift
/// let bucket = try S3ObjectStore("s3://vectors/prod", configuration: .fromEnvironment())
/// try await docs.push(to: bucket)
/// ```
///
/// Conditional writes use `If-None-Match: *` and `If-Match`. A request that fails in a
/// way that may pass (a time-out, a reset connection, a truncated body, 500, 502, 503,
/// 504, 429 or S3's `SlowDown`) is tried again after a random wait that doubles each time
/// (from 0.1 s, at most 5 s), up to ``S3Configuration/maximumAttempts`` tries, then
/// `.storageUnavailable`; an answer that trying again would not change (access denied, no
/// such bucket) is `.objectStore`, naming S3's error code. Each object is written with its
/// SHA-256 in user metadata (`x-amz-meta-semblance-sha256`), and a body read back that
/// does not match it is read again.
public struct S3ObjectStore: RemoteObjectStore {
    /// The bucket and the folder in it that is the database root.
    public let root: S3Location
    /// The server, region, credentials and retry settings.
    public var configuration: S3Configuration
    let http: HTTPClient
    /// Keys per listing request; nil for the server's default (1 000 on S3). Tests make
    /// it small to see several pages.
    var listPageSize: Int?

    /// The store at `location` (`s3://BUCKET/PREFIX`).
    public init(_ location: String, configuration: S3Configuration) throws(SemblanceError) {
        root = try S3Location(location)
        self.configuration = configuration
        http = HTTPClient.shared
        if let endpoint = configuration.endpoint {
            guard let url = URL(string: endpoint), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw SemblanceError(.invalidArgument, "AWS_ENDPOINT_URL is not an http(s) URL: \(endpoint.debugDescription)")
            }
        }
    }

    /// `s3://BUCKET/PREFIX`.
    public var location: String { root.description }

    public func get(_ key: String) async throws(SemblanceError) -> RemoteObject? {
        let response = try await send("GET", key: key)
        if response.status == .notFound { return nil }
        try check(response, key: key)
        return RemoteObject(bytes: response.body, etag: response.etag ?? "")
    }

    public func put(_ key: String, _ bytes: [UInt8], if condition: RemoteWriteCondition) async throws(SemblanceError) -> String? {
        // Our own checksum travels with the object: a get checks the body against it, also
        // where the ETag is not the body's MD5 (multipart or KMS-encrypted objects).
        var headers: [(String, String)] = [(Self.checksumHeader, SigV4Signer.hex(SHA256.hash(data: bytes)))]
        switch condition {
        case .always: break
        case .absent: headers.append(("if-none-match", "*"))
        case .matching(let etag): headers.append(("if-match", etag))
        }
        let response = try await send("PUT", key: key, headers: headers, body: bytes)
        // 412: the condition did not hold. 409: a conditional write raced another (S3's
        // ConditionalRequestConflict). 404 for If-Match on a missing key.
        if response.status == .preconditionFailed || response.status == .conflict { return nil }
        if response.status == .notFound, case .matching = condition { return nil }
        try check(response, key: key)
        return response.etag ?? ""
    }

    public func list(prefix: String) async throws(SemblanceError) -> [RemoteListing] {
        var listings: [RemoteListing] = []
        try await listPages(prefix: prefix, delimiter: nil) { xml, rootPrefix in
            for entry in S3XML.elements("Contents", in: xml) {
                guard let key = S3XML.text("Key", in: entry), key.hasPrefix(rootPrefix) else { continue }
                let size = S3XML.text("Size", in: entry).flatMap { Int64($0) } ?? 0
                let modified = S3XML.text("LastModified", in: entry).flatMap(Self.parseTime) ?? Date(timeIntervalSince1970: 0)
                listings.append(RemoteListing(key: String(key.dropFirst(rootPrefix.count)), size: size, lastModified: modified))
            }
        }
        return listings.sorted { $0.key < $1.key }
    }

    public func folders(under prefix: String) async throws(SemblanceError) -> [String] {
        var folders: [String] = []
        try await listPages(prefix: prefix, delimiter: "/") { xml, rootPrefix in
            for entry in S3XML.elements("CommonPrefixes", in: xml) {
                guard let folder = S3XML.text("Prefix", in: entry), folder.hasPrefix(rootPrefix + prefix), folder.hasSuffix("/") else { continue }
                folders.append(String(folder.dropFirst(rootPrefix.count + prefix.count).dropLast()))
            }
        }
        return folders.sorted()
    }

    /// Runs `read` on each page of a listing (ListObjectsV2) of `prefix` under the root,
    /// with the root's own prefix (to remove from keys).
    private func listPages(prefix: String, delimiter: String?, _ read: (Substring, String) -> Void) async throws(SemblanceError) {
        var token: String?
        let rootPrefix = root.prefix.isEmpty ? "" : root.prefix + "/"
        repeat {
            var query = [("list-type", "2"), ("prefix", rootPrefix + prefix)]
            if let delimiter { query.append(("delimiter", delimiter)) }
            if let token { query.append(("continuation-token", token)) }
            if let listPageSize { query.append(("max-keys", String(listPageSize))) }
            // A listing has no checksum: one that is not whole XML is read again.
            let response = try await send("GET", key: nil, query: query) { answer in
                answer.status != .ok || String(decoding: answer.body.suffix(64), as: UTF8.self).contains("</ListBucketResult>")
            }
            try check(response, key: prefix)
            let xml = Substring(decoding: response.body, as: UTF8.self)
            read(xml, rootPrefix)
            token = S3XML.text("IsTruncated", in: xml) == "true" ? S3XML.text("NextContinuationToken", in: xml) : nil
        } while token != nil
    }

    /// Creates the bucket (in the configured region); one that exists and is yours already
    /// is left as it is.
    /// - Throws: `.objectStore` naming S3's code (a name taken by another account, say).
    public func createBucket() async throws(SemblanceError) {
        // Outside us-east-1, S3 wants the region named in the body.
        let body = configuration.region == "us-east-1" ? [] : Array(("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            + "<LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>").utf8)
        let response = try await send("PUT", key: nil, body: body)
        if response.status == .conflict, Self.errorCode(response) == "BucketAlreadyOwnedByYou" { return }
        try check(response, key: "")
    }

    public func delete(_ key: String) async throws(SemblanceError) {
        let response = try await send("DELETE", key: key)
        if response.status == .notFound { return }
        try check(response, key: key)
    }

    // MARK: Requests

    struct Response {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: [UInt8]
        var etag: String? { headers.first(name: "etag") }
    }

    /// A request as sent: its URL, and its headers with the signature.
    struct Prepared {
        var method: String
        var url: String
        /// The decoded path and query that were signed.
        var path: String
        var query: [(String, String)]
        var headers: [(name: String, value: String)]
        var payloadHash: String
        var signature: SigV4Signer.Signature
    }

    /// Builds and signs a request made at `date`: `key` nil addresses the bucket.
    func prepare(_ method: String, key: String?, query: [(String, String)] = [], headers extra: [(String, String)] = [],
                 body: [UInt8] = [], at date: Date) -> Prepared {
        let (base, host, path) = address(key: key)
        let queryString = query.map { SigV4Signer.encode($0.0, keepingSlash: false) + "=" + SigV4Signer.encode($0.1, keepingSlash: false) }
            .joined(separator: "&")
        let url = base + SigV4Signer.encode(path, keepingSlash: true) + (queryString.isEmpty ? "" : "?" + queryString)
        let payloadHash = body.isEmpty ? SigV4Signer.emptyPayloadHash : SigV4Signer.hex(SHA256.hash(data: body))
        var headers: [(name: String, value: String)] = [("host", host), ("x-amz-content-sha256", payloadHash), ("x-amz-date", SigV4Signer.amzDate(date))]
        if let token = configuration.sessionToken { headers.append(("x-amz-security-token", token)) }
        headers += extra.map { (name: $0.0, value: $0.1) }
        let signer = SigV4Signer(credentials: .init(accessKey: configuration.accessKeyID, secretKey: configuration.secretAccessKey,
                                                    sessionToken: configuration.sessionToken), region: configuration.region)
        let signature = signer.sign(.init(method: method, path: path, query: query.map { (name: $0.0, value: $0.1) }, headers: headers,
                                          payloadHash: payloadHash), at: date)
        return Prepared(method: method, url: url, path: path, query: query, headers: headers, payloadHash: payloadHash, signature: signature)
    }

    /// The whole answer to one request, after the retries its failures allow.
    func send(_ method: String, key: String?, query: [(String, String)] = [], headers extra: [(String, String)] = [],
              body: [UInt8] = [], isWhole: (Response) -> Bool = { _ in true }) async throws(SemblanceError) -> Response {
        var lastFailure = ""
        for attempt in 0..<max(1, configuration.maximumAttempts) {
            if attempt > 0 {
                // Full jitter: a random wait up to a bound that doubles, at most 5 s.
                let bound = min(5.0, 0.1 * Double(1 << min(attempt - 1, 16)))
                try? await Task.sleep(for: .seconds(Double.random(in: bound / 2...bound)))
            }
            let prepared = prepare(method, key: key, query: query, headers: extra, body: body, at: Date())
            var request = HTTPClientRequest(url: prepared.url)
            request.method = HTTPMethod(rawValue: method)
            for (name, value) in prepared.headers { request.headers.add(name: name, value: value) }
            request.headers.add(name: "authorization", value: prepared.signature.authorization)
            if method == "PUT" {
                request.headers.add(name: "content-length", value: String(body.count))
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            do {
                let response = try await http.execute(request, timeout: .milliseconds(Int64(configuration.requestTimeout * 1000)))
                let collected = try await response.body.collect(upTo: 1 << 31)
                let answer = Response(status: response.status, headers: response.headers, body: Array(buffer: collected))
                if Self.isRetryable(answer) {
                    lastFailure = "HTTP \(answer.status.code)" + (Self.errorCode(answer).map { " \($0)" } ?? "")
                    continue
                }
                if let checksum = answer.headers.first(name: Self.checksumHeader), answer.status == .ok,
                   SigV4Signer.hex(SHA256.hash(data: answer.body)) != checksum {
                    lastFailure = "a body of \(answer.body.count) bytes that does not match its SHA-256"
                    continue
                }
                guard isWhole(answer) else {
                    lastFailure = "an answer of \(answer.body.count) bytes that is not whole"
                    continue
                }
                return answer
            } catch {
                lastFailure = String(describing: error)
                continue
            }
        }
        throw SemblanceError(.storageUnavailable, "\(method) failed \(configuration.maximumAttempts) times; the last: \(lastFailure)",
                             path: location + (key.map { "/" + $0 } ?? ""))
    }

    /// The URL up to the path, the host header, and the decoded path of `key` (nil: the bucket).
    private func address(key: String?) -> (base: String, host: String, path: String) {
        let objectPath = key.map { "/" + root.key($0) } ?? "/"
        if let endpoint = configuration.endpoint, let url = URL(string: endpoint), let scheme = url.scheme, let hostName = url.host {
            let host = hostName + (url.port.map { ":\($0)" } ?? "")
            return (scheme + "://" + host, host, "/" + root.bucket + (key == nil ? "" : objectPath))
        }
        let host = "\(root.bucket).s3.\(configuration.region).amazonaws.com"
        return ("https://" + host, host, objectPath)
    }

    /// The user metadata that holds an object's SHA-256, in hex.
    static let checksumHeader = "x-amz-meta-semblance-sha256"

    static func isRetryable(_ response: Response) -> Bool {
        switch response.status.code {
        case 429, 500, 502, 503, 504: return true
        case 400: return ["RequestTimeout", "SlowDown"].contains(errorCode(response) ?? "")
        default: return false
        }
    }

    static func errorCode(_ response: Response) -> String? {
        S3XML.text("Code", in: Substring(decoding: response.body, as: UTF8.self))
    }

    private func check(_ response: Response, key: String) throws(SemblanceError) {
        guard !(200..<300).contains(response.status.code) else { return }
        let code = Self.errorCode(response)
        let message = S3XML.text("Message", in: Substring(decoding: response.body, as: UTF8.self))
        throw SemblanceError(.objectStore, "HTTP \(response.status.code)" + (code.map { " \($0)" } ?? "") + (message.map { ": \($0)" } ?? ""),
                             path: location + "/" + key)
    }

    /// `2026-12-04T09:00:00.000Z` (S3's LastModified).
    static func parseTime(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { "-T:Z.".contains($0) }).map { Int($0) }
        guard parts.count >= 6, parts.allSatisfy({ $0 != nil }) else { return nil }
        var components = DateComponents()
        components.timeZone = TimeZone(identifier: "UTC")
        (components.year, components.month, components.day) = (parts[0], parts[1], parts[2])
        (components.hour, components.minute, components.second) = (parts[3], parts[4], parts[5])
        return Calendar(identifier: .gregorian).date(from: components)
    }
}
