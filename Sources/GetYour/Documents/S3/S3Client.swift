import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The few S3 operations the document store needs, signed with `AWSSigV4` and sent with
/// AsyncHTTPClient: put (one request, or a multipart upload for a large file, both streamed
/// from disk), get (streamed), delete, and the multipart calls. Works with AWS and with any
/// S3-compatible service, by path-style or virtual-hosted addresses.
struct S3Client: Sendable {
    let settings: S3Settings
    let http: HTTPClient
    let signer: AWSSigV4
    /// Signing uses the real time, never the app's injectable clock: S3 refuses a request
    /// whose date is more than 15 minutes off.
    var now: @Sendable () -> Date = { Date() }

    init(settings: S3Settings, http: HTTPClient) {
        self.settings = settings
        self.http = http
        self.signer = AWSSigV4(
            credentials: .init(
                accessKeyID: settings.accessKeyID, secretAccessKey: settings.secretAccessKey, sessionToken: settings.sessionToken),
            region: settings.region, service: "s3")
    }

    /// What went wrong talking to the store: a 503 page for the resident, logged with the
    /// operation, the status and S3's error code only.
    struct Failure: Error, PageError, CustomStringConvertible {
        let operation: String
        let httpStatus: UInt?
        let code: String?
        let underlying: String?

        var status: HTTPResponseStatus { .serviceUnavailable }
        /// An upload that failed says the file was not saved; anything else is the general
        /// "not available right now" page.
        var messageKey: String {
            ["put", "upload part", "create multipart upload", "complete multipart upload"].contains(operation)
                ? "error.storage" : "error.503"
        }
        var description: String {
            "S3 \(operation) failed: " + (httpStatus.map { "HTTP \($0)" } ?? "no answer") + (code.map { " \($0)" } ?? "")
                + (underlying.map { " (\($0))" } ?? "")
        }
    }

    // MARK: Addresses

    struct Target: Equatable {
        let url: String
        /// The `Host` header as sent and signed (with the port when it is not the scheme's).
        let host: String
        /// The percent-encoded path, as sent and signed.
        let path: String
    }

    /// Path-style `scheme://host[:port]/bucket/key` or virtual-hosted
    /// `scheme://bucket.host[:port]/key`.
    func target(key: String?, query: [URLQueryItem] = []) -> Target {
        let endpoint = settings.endpoint
        let scheme = endpoint.scheme ?? "https"
        var host = endpoint.host ?? ""
        if let port = endpoint.port, !(scheme == "https" && port == 443), !(scheme == "http" && port == 80) {
            host += ":\(port)"
        }
        let objectPath = key.map { "/" + AWSSigV4.encode(settings.keyPrefix + $0, keepingSlashes: true) } ?? "/"
        let path: String
        switch settings.addressing {
        case .path:
            path = "/" + AWSSigV4.encode(settings.bucket) + (key == nil ? "" : objectPath)
        case .virtual:
            host = settings.bucket + "." + host
            path = objectPath
        }
        let queryText = query.map { AWSSigV4.encode($0.name) + ($0.value.map { "=" + AWSSigV4.encode($0) } ?? "") }
            .joined(separator: "&")
        return Target(url: "\(scheme)://\(host)\(path)" + (queryText.isEmpty ? "" : "?" + queryText), host: host, path: path)
    }

    // MARK: Operations

    /// Uploads the whole file at `file` under `key`: one PUT up to the part size, a multipart
    /// upload beyond it. A multipart upload that fails is aborted, so no object and no parts
    /// are left behind.
    func putObject(fileAt file: URL, key: String) async throws {
        let size = try Self.size(of: file)
        guard size > settings.partSize else {
            _ = try await sendFile(
                "put", key: key, query: [], headers: [("Content-Type", "application/octet-stream")] + encryptionHeaders, file: file,
                offset: 0, length: size)
            return
        }
        let uploadID = try await createMultipartUpload(key: key)
        do {
            var etags: [String] = []
            var offset = 0
            while offset < size {
                let length = min(settings.partSize, size - offset)
                let headers = try await sendFile(
                    "upload part", key: key,
                    query: [
                        URLQueryItem(name: "partNumber", value: "\(etags.count + 1)"), URLQueryItem(name: "uploadId", value: uploadID),
                    ],
                    headers: [], file: file, offset: offset, length: length)
                guard let etag = headers.first(name: "ETag") else {
                    throw Failure(operation: "upload part", httpStatus: 200, code: "NoETag", underlying: nil)
                }
                etags.append(etag)
                offset += length
            }
            try await completeMultipartUpload(key: key, uploadID: uploadID, etags: etags)
        } catch {
            try? await abortMultipartUpload(key: key, uploadID: uploadID)
            throw error
        }
    }

    func createMultipartUpload(key: String) async throws -> String {
        let response = try await send(
            "POST", "create multipart upload", key: key, query: [URLQueryItem(name: "uploads", value: nil)],
            headers: [("Content-Type", "application/octet-stream")] + encryptionHeaders, expect: [200])
        let body = try await Self.text(of: response)
        guard let id = Self.element("UploadId", in: body) else {
            throw Failure(operation: "create multipart upload", httpStatus: 200, code: Self.element("Code", in: body), underlying: nil)
        }
        return id
    }

    func completeMultipartUpload(key: String, uploadID: String, etags: [String]) async throws {
        let parts = etags.enumerated().map {
            "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\(Self.escape($0.element))</ETag></Part>"
        }
        let xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\(parts.joined())</CompleteMultipartUpload>"
        let response = try await send(
            "POST", "complete multipart upload", key: key, query: [URLQueryItem(name: "uploadId", value: uploadID)],
            headers: [("Content-Type", "application/xml")], payload: ByteBuffer(string: xml), expect: [200])
        // S3 may answer 200 and still report an error in the body.
        let body = try await Self.text(of: response)
        guard body.contains("CompleteMultipartUploadResult") else {
            throw Failure(operation: "complete multipart upload", httpStatus: 200, code: Self.element("Code", in: body), underlying: nil)
        }
    }

    func abortMultipartUpload(key: String, uploadID: String) async throws {
        _ = try await send(
            "DELETE", "abort multipart upload", key: key, query: [URLQueryItem(name: "uploadId", value: uploadID)], expect: [204, 200, 404])
    }

    /// The object's answer, its body not read yet (the caller streams it). Nil when there is
    /// no such object.
    func getObject(key: String) async throws -> HTTPClientResponse? {
        let response = try await send("GET", "get", key: key, expect: [200, 404])
        guard response.status == .ok else {
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return nil
        }
        return response
    }

    /// Deleting an object that is not there succeeds, as in S3.
    func deleteObject(key: String) async throws {
        _ = try await send("DELETE", "delete", key: key, expect: [204, 200, 404])
    }

    /// Creates the bucket (for tests and first set-up against a local S3-compatible server).
    func createBucket() async throws {
        _ = try await send("PUT", "create bucket", key: nil, expect: [200, 409])
    }

    /// The keys under the prefix (for tests and operators' checks; at most 1,000).
    func listKeys() async throws -> [String] {
        let response = try await send(
            "GET", "list", key: nil,
            query: [URLQueryItem(name: "list-type", value: "2"), URLQueryItem(name: "prefix", value: settings.keyPrefix)], expect: [200])
        let body = try await Self.text(of: response)
        return Self.elements("Key", in: body).map { String($0.dropFirst(settings.keyPrefix.count)) }
    }

    /// Multipart uploads begun and neither completed nor aborted (for tests).
    func openMultipartUploads() async throws -> Int {
        let response = try await send(
            "GET", "list multipart uploads", key: nil, query: [URLQueryItem(name: "uploads", value: nil)], expect: [200])
        return Self.elements("UploadId", in: try await Self.text(of: response)).count
    }

    var encryptionHeaders: [(String, String)] {
        switch settings.encryption {
        case .none: []
        case .aes256: [("x-amz-server-side-encryption", "AES256")]
        case .kms:
            [("x-amz-server-side-encryption", "aws:kms")]
                + (settings.kmsKeyID.map { [("x-amz-server-side-encryption-aws-kms-key-id", $0)] } ?? [])
        }
    }

    // MARK: Sending

    private func send(
        _ method: String, _ operation: String, key: String?, query: [URLQueryItem] = [], headers: [(String, String)] = [],
        payload: ByteBuffer? = nil, expect: Set<UInt>
    ) async throws -> HTTPClientResponse {
        let hash = payload.map { buffer in AWSSigV4.hex(SHA256.hash(data: Data(buffer.readableBytesView))) } ?? AWSSigV4.emptyPayloadHash
        return try await send(
            method, operation, key: key, query: query, headers: headers, payloadHash: hash, body: payload.map { .bytes($0) }, expect: expect
        )
    }

    private func send(
        _ method: String, _ operation: String, key: String?, query: [URLQueryItem] = [], headers: [(String, String)] = [],
        payloadHash: String, body: HTTPClientRequest.Body?, expect: Set<UInt>
    ) async throws -> HTTPClientResponse {
        try await retrying {
            try await sendOnce(
                method, operation, key: key, query: query, headers: headers, payloadHash: payloadHash, body: body, expect: expect)
        }
    }

    /// Tries again, twice at most, after a short pause, when the store gave no answer (the
    /// connection failed or closed) or answered 500 or 503 (S3's "slow down"): every request
    /// here is idempotent (a PUT of the same bytes to the same key or part, a GET, a DELETE).
    private func retrying<T>(_ attempt: () async throws -> T) async throws -> T {
        var tries = 0
        while true {
            do {
                return try await attempt()
            } catch let failure as Failure where tries < 2 && (failure.httpStatus == nil || [500, 503].contains(failure.httpStatus!)) {
                tries += 1
                try await Task.sleep(for: .milliseconds(tries == 1 ? 100 : 500))
            }
        }
    }

    private func sendOnce(
        _ method: String, _ operation: String, key: String?, query: [URLQueryItem], headers: [(String, String)],
        payloadHash: String, body: HTTPClientRequest.Body?, expect: Set<UInt>
    ) async throws -> HTTPClientResponse {
        let target = target(key: key, query: query)
        var request = HTTPClientRequest(url: target.url)
        request.method = HTTPMethod(rawValue: method)
        let signed = headers + [("x-amz-content-sha256", payloadHash)]
        let signature = signer.sign(
            method: method, host: target.host, path: target.path, query: query, headers: signed, payloadHash: payloadHash, date: now())
        request.headers.add(name: "Host", value: target.host)
        for (name, value) in signed + signature { request.headers.add(name: name, value: value) }
        request.body = body
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .milliseconds(Int64(settings.timeout * 1000)))
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(operation: operation, httpStatus: nil, code: nil, underlying: String(describing: error))
        }
        guard expect.contains(response.status.code) else {
            let text = (try? await Self.text(of: response)) ?? ""
            throw Failure(operation: operation, httpStatus: response.status.code, code: Self.element("Code", in: text), underlying: nil)
        }
        return response
    }

    /// A PUT whose body is `length` bytes of `file` from `offset`, hashed first (SigV4 signs
    /// the payload), then sent in 64 KiB chunks read on NIO's thread pool. Each chunk is read
    /// only once the connection has taken the one before (AsyncHTTPClient's stream writer
    /// answers when it may go on), so an upload holds a chunk or two in memory whatever its
    /// size. Returns the answer's headers.
    private func sendFile(
        _ operation: String, key: String, query: [URLQueryItem], headers: [(String, String)], file: URL, offset: Int, length: Int
    ) async throws -> HTTPHeaders {
        let payloadHash = try await FileChunks(path: file.path, offset: UInt64(offset), length: length).sha256()
        return try await retrying {
            try await sendFileOnce(
                operation, key: key, query: query, headers: headers, file: file, offset: offset, length: length, payloadHash: payloadHash)
        }
    }

    private func sendFileOnce(
        _ operation: String, key: String, query: [URLQueryItem], headers: [(String, String)], file: URL, offset: Int, length: Int,
        payloadHash: String
    ) async throws -> HTTPHeaders {
        let target = target(key: key, query: query)
        let signed = headers + [("x-amz-content-sha256", payloadHash)]
        let signature = signer.sign(
            method: "PUT", host: target.host, path: target.path, query: query, headers: signed, payloadHash: payloadHash, date: now())
        var requestHeaders = HTTPHeaders([("Host", target.host)])
        for (name, value) in signed + signature { requestHeaders.add(name: name, value: value) }

        let fileIO = NonBlockingFileIO(threadPool: .singleton)
        let loop = http.eventLoopGroup.any()
        let (handle, _) = try await fileIO.openFile(_deprecatedPath: file.path, eventLoop: loop).get()
        defer { try? handle.close() }
        let body = HTTPClient.Body.stream(contentLength: Int64(length)) { writer in
            fileIO.readChunked(
                fileHandle: handle, fromOffset: Int64(offset), byteCount: length, chunkSize: 64 * 1024, allocator: ByteBufferAllocator(),
                eventLoop: loop
            ) { chunk in writer.write(.byteBuffer(chunk)).hop(to: loop) }
        }
        let response: HTTPClient.Response
        do {
            let request = try HTTPClient.Request(url: target.url, method: .PUT, headers: requestHeaders, body: body)
            response = try await http.execute(request: request, deadline: .now() + .milliseconds(Int64(settings.timeout * 1000))).get()
        } catch {
            throw Failure(operation: operation, httpStatus: nil, code: nil, underlying: String(describing: error))
        }
        guard response.status == .ok else {
            let text = response.body.map { String(buffer: $0) } ?? ""
            throw Failure(operation: operation, httpStatus: response.status.code, code: Self.element("Code", in: text), underlying: nil)
        }
        return response.headers
    }

    // MARK: Small helpers

    static func size(of file: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        return (attributes[.size] as? NSNumber)?.intValue ?? 0
    }

    static func text(of response: HTTPClientResponse) async throws -> String {
        let buffer = try await response.body.collect(upTo: 1_048_576)
        return String(buffer: buffer)
    }

    /// The text of the first `<name>…</name>` (S3's answers are small, flat XML).
    static func element(_ name: String, in xml: String) -> String? { elements(name, in: xml).first }

    static func elements(_ name: String, in xml: String) -> [String] {
        var found: [String] = []
        var rest = xml[...]
        while let open = rest.range(of: "<\(name)>"), let close = rest.range(of: "</\(name)>", range: open.upperBound..<rest.endIndex) {
            found.append(unescape(String(rest[open.upperBound..<close.lowerBound])))
            rest = rest[close.upperBound...]
        }
        return found
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;"
        )
        .replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(
            of: "&gt;", with: ">"
        )
        .replacingOccurrences(of: "&amp;", with: "&")
    }
}
